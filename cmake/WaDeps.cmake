# wa_pkg(NAME module...): the pkg-config modules as target wa::NAME.
#
# With WA_STATIC_DEPS (the default) the target links the modules' static
# archives (pkg-config --static names, each resolved to lib<name>.a) where
# they exist: every shared library costs a cached `wasmaot run` an open,
# several mmaps and symbol binding at exec, and these are small. glibc
# (libc, libm, libdl, libpthread) always stays shared; so does any library
# whose archive is missing. Shared objects of the project link none of these.
option(WA_STATIC_DEPS "Link small third-party libraries statically" ON)
set(WA_SHARED_ONLY c m dl pthread rt)

function(wa_pkg name)
  set(p WA_PKG_${name})
  pkg_check_modules(${p} REQUIRED ${ARGN})
  add_library(wa::${name} INTERFACE IMPORTED GLOBAL)
  set_target_properties(wa::${name} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${${p}_INCLUDE_DIRS}"
    INTERFACE_COMPILE_OPTIONS "${${p}_CFLAGS_OTHER}")
  set(libs)
  if(WA_STATIC_DEPS)
    set(names ${${p}_STATIC_LIBRARIES})
    set(dirs ${${p}_STATIC_LIBRARY_DIRS})
  else()
    set(names ${${p}_LIBRARIES})
    set(dirs ${${p}_LIBRARY_DIRS})
  endif()
  foreach(l ${names})
    set(path)
    if(WA_STATIC_DEPS AND NOT l IN_LIST WA_SHARED_ONLY)
      find_library(WA_LIB_${l}_A NAMES lib${l}.a HINTS ${dirs})
      set(path ${WA_LIB_${l}_A})
    endif()
    if(NOT path)
      find_library(WA_LIB_${l}_SO NAMES ${l} HINTS ${dirs})
      set(path ${WA_LIB_${l}_SO})
    endif()
    if(NOT path)
      set(path ${l})
    endif()
    list(APPEND libs ${path})
  endforeach()
  set_property(TARGET wa::${name} PROPERTY INTERFACE_LINK_LIBRARIES "${libs}")
endfunction()
