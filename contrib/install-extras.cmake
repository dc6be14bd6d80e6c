# Run by `cmake --install` (see the install(CODE) in CMakeLists.txt), once the prefix is final, so
# that `cmake --install build --prefix DIR` gets a unit whose paths point into DIR:
#  - parleyd.service, from contrib/systemd/parleyd.service.in, into the systemd unit directory;
#  - the config file, from docs/parleyd.conf.sample, into the sysconfdir, unless one is there: an
#    admin's edited config is never overwritten.
# file(INSTALL) honours DESTDIR and records the files in install_manifest.txt.

function(parley_abs out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

parley_abs(PARLEY_UNIT_BINDIR "${PARLEY_BINDIR}")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND PARLEY_SYSCONFDIR STREQUAL "etc")
  set(parley_confdir "/etc")   # as GNUInstallDirs does for /usr
else()
  parley_abs(parley_confdir "${PARLEY_SYSCONFDIR}")
endif()
parley_abs(parley_unitdir "${PARLEY_UNITDIR}")
set(PARLEY_UNIT_CONFIG "${parley_confdir}/parleyd.conf")

configure_file("${PARLEY_SOURCE}/contrib/systemd/parleyd.service.in" "${PARLEY_BINARY}/parleyd.service" @ONLY)
file(INSTALL "${PARLEY_BINARY}/parleyd.service" DESTINATION "${parley_unitdir}")

if(EXISTS "$ENV{DESTDIR}${PARLEY_UNIT_CONFIG}")
  message(STATUS "Kept: $ENV{DESTDIR}${PARLEY_UNIT_CONFIG} (the sample is in the doc directory)")
else()
  file(INSTALL "${PARLEY_SOURCE}/docs/parleyd.conf.sample" DESTINATION "${parley_confdir}"
       RENAME parleyd.conf)
endif()
