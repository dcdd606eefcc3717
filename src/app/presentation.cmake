# story panel, presentation mode and the lesson deck (sources of labapp, paths relative to src/app)
target_sources(labapp PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/storypanel.h ${CMAKE_CURRENT_LIST_DIR}/storypanel.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lessondeck.h ${CMAKE_CURRENT_LIST_DIR}/lessondeck.cpp
    ${CMAKE_CURRENT_LIST_DIR}/presentationview.h ${CMAKE_CURRENT_LIST_DIR}/presentationview.cpp
    ${CMAKE_CURRENT_LIST_DIR}/presentationmode.h ${CMAKE_CURRENT_LIST_DIR}/presentationmode.cpp)

# The bundled lesson deck, embedded in labapp (like the presets in labcore) so the GUI tests
# see the same :/lessons/ as the app.
file(GLOB LAB_LESSON_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/resources/lessons/*.lesson)
foreach(f ${LAB_LESSON_FILES})
    get_filename_component(n ${f} NAME)
    set_source_files_properties(${f} PROPERTIES QT_RESOURCE_ALIAS lessons/${n})
endforeach()
qt_add_resources(labapp labapp_lessons PREFIX "/" FILES ${LAB_LESSON_FILES})
