# window sources of labapp (paths relative to src/app)
target_sources(labapp PRIVATE ${CMAKE_CURRENT_LIST_DIR}/appversion.cpp)
