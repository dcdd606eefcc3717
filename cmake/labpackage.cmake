# CPack: one Debian package, concurrency-lab_<version>_<arch>.deb (scripts/package.sh builds it
# from the release preset). Depends comes from dpkg-shlibdeps, never typed by hand; python3 is
# only recommended: without it the python-* models say they are unavailable and the rest works.
# The menu, MIME and icon caches are refreshed by the dpkg triggers of desktop-file-utils,
# shared-mime-info and the icon theme, so the package needs no maintainer scripts.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME concurrency-lab)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Concurrency Lab maintainers")
set(CPACK_PACKAGE_CONTACT "Concurrency Lab maintainers <maintainers@users.noreply.r-seed-d30a6d57.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "see and measure threads versus processes")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_NAME concurrency-lab)
set(CPACK_DEBIAN_PACKAGE_SECTION education)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${CPACK_PACKAGE_CONTACT})
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${LAB_PROJECT_URL})
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS python3)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The long description; CPack puts the summary above it, indents it and marks the blank line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Concurrency Lab turns the classic explanation of Python's multiprocessing
versus threading into experiments you can run, watch and measure. It runs a
number cruncher and a web scraper sequentially, on native threads, on threads
under an emulated CPython global interpreter lock, in a pool of worker
processes, on one asynchronous thread and in a real python3, and shows live
per-core CPU usage, throughput per model, a task timeline and comparison
charts. Every result is verified.

The package holds the desktop application, a command-line program for
headless runs (concurrency-lab-cli) and a local HTTP test server for the I/O
experiments (concurrency-lab-server).")
include(CPack)
