# `cmake --install` (and the .deb, cmake/labpackage.cmake): the programs, the menu entry, the
# AppStream metadata, the MIME type of saved results, the icons and the man pages. Everything
# the programs read at run time (presets, Python scripts, the app icon) is compiled into them as
# Qt resources, so nothing else is installed. scripts/check-install.sh checks the result.
set(LAB_DATA_SRC ${PROJECT_SOURCE_DIR}/data)
set(LAB_DATA_OUT ${CMAKE_BINARY_DIR}/data)
set(LAB_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/concurrency-lab)
if(NOT LAB_PROJECT_URL MATCHES "^https?://.*/$")
    message(FATAL_ERROR "LAB_PROJECT_URL must be an http(s) URL ending in /, not \"${LAB_PROJECT_URL}\"")
endif()
set(LAB_SCREENSHOT_URL "${LAB_PROJECT_URL}docs/screenshot.png")
# Folders the install creates are 755 whatever the umask (the .deb takes them as they are).
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                                WORLD_READ WORLD_EXECUTE)

install(TARGETS concurrency-lab concurrency-lab-cli concurrency-lab-server
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS concurrency-lab-worker RUNTIME DESTINATION ${LAB_INSTALL_HELPERDIR})

configure_file(${LAB_DATA_SRC}/concurrency-lab.desktop.in ${LAB_DATA_OUT}/${LAB_APP_ID}.desktop @ONLY)
configure_file(${LAB_DATA_SRC}/concurrency-lab.metainfo.xml.in ${LAB_DATA_OUT}/${LAB_APP_ID}.metainfo.xml @ONLY)
configure_file(${LAB_DATA_SRC}/concurrency-lab-mime.xml.in ${LAB_DATA_OUT}/concurrency-lab.xml @ONLY)
install(FILES ${LAB_DATA_OUT}/${LAB_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/applications)
install(FILES ${LAB_DATA_OUT}/${LAB_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/metainfo)
install(FILES ${LAB_DATA_OUT}/concurrency-lab.xml DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/mime/packages)

# Icons: the SVG as it is, PNG sizes drawn from it at build time by a tiny QtSvg program.
set(LAB_ICON_SVG ${PROJECT_SOURCE_DIR}/resources/icons/concurrency-lab.svg)
set(LAB_ICON_SIZES 16 22 24 32 48 64 128 256)
add_executable(lab-rendericon ${LAB_DATA_SRC}/icons/rendericon.cpp)
target_link_libraries(lab-rendericon PRIVATE Qt6::Gui Qt6::Svg)
lab_project_target(lab-rendericon)
set(LAB_ICON_PNGS)
foreach(size ${LAB_ICON_SIZES})
    set(png ${LAB_DATA_OUT}/icons/${size}x${size}/concurrency-lab.png)
    add_custom_command(OUTPUT ${png}
                       COMMAND ${CMAKE_COMMAND} -E make_directory ${LAB_DATA_OUT}/icons/${size}x${size}
                       COMMAND lab-rendericon ${LAB_ICON_SVG} ${size} ${png}
                       DEPENDS lab-rendericon ${LAB_ICON_SVG}
                       COMMENT "Drawing the ${size}x${size} icon" VERBATIM)
    list(APPEND LAB_ICON_PNGS ${png})
    install(FILES ${png} DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/icons/hicolor/${size}x${size}/apps)
endforeach()
install(FILES ${LAB_ICON_SVG} DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/icons/hicolor/scalable/apps)

# Man pages (data/man, kept in step with --help by tests/core/tst_install.cpp) and the package's
# changelog, compressed as Debian wants them (gzip -n: no name or time stamp, reproducible).
find_program(LAB_GZIP gzip REQUIRED)
set(LAB_GZ_FILES)
foreach(page concurrency-lab concurrency-lab-cli concurrency-lab-server)
    set(gz ${LAB_DATA_OUT}/man/${page}.1.gz)
    add_custom_command(OUTPUT ${gz}
                       COMMAND ${CMAKE_COMMAND} -E make_directory ${LAB_DATA_OUT}/man
                       COMMAND ${LAB_GZIP} -9nc ${LAB_DATA_SRC}/man/${page}.1 > ${gz}
                       DEPENDS ${LAB_DATA_SRC}/man/${page}.1 VERBATIM)
    list(APPEND LAB_GZ_FILES ${gz})
    install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endforeach()
set(gz ${LAB_DATA_OUT}/changelog.gz)
add_custom_command(OUTPUT ${gz}
                   COMMAND ${LAB_GZIP} -9nc ${LAB_DATA_SRC}/changelog > ${gz}
                   DEPENDS ${LAB_DATA_SRC}/changelog VERBATIM)
list(APPEND LAB_GZ_FILES ${gz})
install(FILES ${gz} ${LAB_DATA_SRC}/copyright DESTINATION ${LAB_DOCDIR})
add_custom_target(lab-install-data ALL DEPENDS ${LAB_ICON_PNGS} ${LAB_GZ_FILES})

if(LAB_BUILD_TESTS)
    # The install check (scripts/check-install.sh) as a test, so CI runs it: install this build
    # into a temporary prefix and use it from elsewhere.
    add_test(NAME install-check COMMAND ${PROJECT_SOURCE_DIR}/scripts/check-install.sh ${CMAKE_BINARY_DIR})
    set_tests_properties(install-check PROPERTIES TIMEOUT 600 ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
endif()
