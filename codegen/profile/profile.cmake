# profile.cmake: the harness `codl profile` writes is one CMake project that
# builds the codl runtime once and one profile_run_<case> per synthetic
# model (profile_run.cc linked with that case's generated model.cc):
#
#   cmake_minimum_required(VERSION 3.16)
#   project(codl_profile CXX)
#   include(<codl>/codegen/runtime/codl.cmake)
#   include(<codl>/codegen/profile/profile.cmake)
#   codl_add_profile_case(NAME c0001 SOURCES cases/c0001/src/model.cc)
set(CODL_PROFILE_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(codl_add_profile_case)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES" ${ARGN})
  if(NOT TARGET codl_runtime)
    add_library(codl_runtime STATIC ${CODL_RUNTIME_SOURCES})
    _codl_configure(codl_runtime)
  endif()
  if(NOT TARGET codl_profile_main)
    add_library(codl_profile_main OBJECT "${CODL_PROFILE_DIR}/profile_run.cc")
    target_link_libraries(codl_profile_main PRIVATE codl_runtime)
  endif()
  add_executable(profile_run_${ARG_NAME} $<TARGET_OBJECTS:codl_profile_main> ${ARG_SOURCES})
  target_link_libraries(profile_run_${ARG_NAME} PRIVATE codl_runtime)
endfunction()
