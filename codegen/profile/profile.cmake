# profile.cmake: the harness `codl profile` writes is one CMake project that
# builds the codl runtime once, as a shared library, and one small
# profile_run_<case> per synthetic model (profile_run.cc linked with that
# case's generated model.cc):
#
#   cmake_minimum_required(VERSION 3.16)
#   project(codl_profile CXX)
#   include(<harness>/runtime/codl.cmake)
#   include(<harness>/profile/profile.cmake)
#   codl_add_profile_case(NAME c0001 SOURCES cases/c0001/src/model.cc)
#
# The runtime is shared (libcodl_profile_runtime.so, beside the executables)
# so that thousands of cases stay small enough to carry to another machine;
# it finds codl::bundled_model() in the executable that loads it.
set(CODL_PROFILE_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(codl_add_profile_case)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES" ${ARGN})
  if(NOT TARGET codl_profile_runtime)
    add_library(codl_profile_runtime SHARED ${CODL_RUNTIME_SOURCES})
    _codl_configure(codl_profile_runtime)
    set_target_properties(codl_profile_runtime PROPERTIES POSITION_INDEPENDENT_CODE ON)
    add_library(codl_profile_main OBJECT "${CODL_PROFILE_DIR}/profile_run.cc")
    target_link_libraries(codl_profile_main PRIVATE codl_profile_runtime)
  endif()
  add_executable(profile_run_${ARG_NAME} $<TARGET_OBJECTS:codl_profile_main> ${ARG_SOURCES})
  target_link_libraries(profile_run_${ARG_NAME} PRIVATE codl_profile_runtime)
  # The runtime library resolves codl::bundled_model() against the executable.
  set_target_properties(profile_run_${ARG_NAME} PROPERTIES ENABLE_EXPORTS ON BUILD_RPATH "$ORIGIN" INSTALL_RPATH "$ORIGIN")
endfunction()
