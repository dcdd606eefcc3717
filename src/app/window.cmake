# window sources of labapp (paths relative to src/app)
target_sources(labapp PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/appversion.cpp
    ${CMAKE_CURRENT_LIST_DIR}/appoptions.h ${CMAKE_CURRENT_LIST_DIR}/appoptions.cpp
    ${CMAKE_CURRENT_LIST_DIR}/scriptedsession.h ${CMAKE_CURRENT_LIST_DIR}/scriptedsession.cpp
    ${CMAKE_CURRENT_LIST_DIR}/resultfile.h ${CMAKE_CURRENT_LIST_DIR}/resultfile.cpp
    ${CMAKE_CURRENT_LIST_DIR}/runcontroller.h ${CMAKE_CURRENT_LIST_DIR}/runcontroller.cpp
    ${CMAKE_CURRENT_LIST_DIR}/experimentpanel.h ${CMAKE_CURRENT_LIST_DIR}/experimentpanel.cpp
    ${CMAKE_CURRENT_LIST_DIR}/resultstablemodel.h ${CMAKE_CURRENT_LIST_DIR}/resultstablemodel.cpp
    ${CMAKE_CURRENT_LIST_DIR}/exportdialog.h ${CMAKE_CURRENT_LIST_DIR}/exportdialog.cpp
    ${CMAKE_CURRENT_LIST_DIR}/exportactions.h ${CMAKE_CURRENT_LIST_DIR}/exportactions.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mainwindow.h ${CMAKE_CURRENT_LIST_DIR}/mainwindow.cpp
    ${PROJECT_SOURCE_DIR}/ui/mainwindow.ui
    ${PROJECT_SOURCE_DIR}/ui/experimentpanel.ui
    ${PROJECT_SOURCE_DIR}/ui/exportdialog.ui)
