# Install layout (GNUInstallDirs), included before src/ so labconfig.h can carry the relative
# paths: the user programs go to bindir, the helpers (the worker) to a private folder in
# libexecdir. Programs find each other through the relative path, so the build tree (all in bin/)
# and an install under any prefix work alike (src/core/util/sysinfo.cpp, siblingExecutable).
include(GNUInstallDirs)
set(LAB_INSTALL_HELPERDIR ${CMAKE_INSTALL_LIBEXECDIR}/concurrency-lab)
file(RELATIVE_PATH LAB_BIN_TO_LIBEXEC ${CMAKE_INSTALL_FULL_BINDIR}
     ${CMAKE_INSTALL_FULL_LIBEXECDIR}/concurrency-lab)
file(RELATIVE_PATH LAB_LIBEXEC_TO_BIN ${CMAKE_INSTALL_FULL_LIBEXECDIR}/concurrency-lab
     ${CMAKE_INSTALL_FULL_BINDIR})
if(IS_ABSOLUTE ${CMAKE_INSTALL_BINDIR} OR IS_ABSOLUTE ${CMAKE_INSTALL_LIBEXECDIR})
    message(WARNING "absolute CMAKE_INSTALL_BINDIR/LIBEXECDIR: cmake --install --prefix cannot relocate "
                    "the programs' relative paths (${LAB_BIN_TO_LIBEXEC})")
endif()

# Desktop identity. The project has no published home yet: the id and the home page use the
# reserved ".example" domain (RFC 2606) until it has one; set both when publishing.
set(LAB_APP_ID "example.concurrencylab.ConcurrencyLab" CACHE STRING
    "AppStream component id and desktop file name (reverse DNS)")
set(LAB_PROJECT_URL "https://concurrency-lab.example/" CACHE STRING
    "Home page (AppStream, .deb); must end in / (the screenshot is docs/screenshot.png below it)")
set(LAB_RESULT_MIME "application/x-concurrency-lab-result+json")
set(LAB_RESULT_SUFFIX ".clab.json")
