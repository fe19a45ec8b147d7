# `cmake --install` layout and a Debian package through CPack (cpack -G DEB in the build folder).
install(FILES ${CMAKE_SOURCE_DIR}/resources/flatland.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${CMAKE_SOURCE_DIR}/resources/flatland.svg
  DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(FILES ${CMAKE_SOURCE_DIR}/docs/project-file.md ${CMAKE_SOURCE_DIR}/README.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/flatland)

set(CPACK_PACKAGE_NAME "flatland")
set(CPACK_PACKAGE_VENDOR "Flatland developers")
set(CPACK_PACKAGE_CONTACT "Flatland developers <dev@flatland.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Loss landscapes of neural networks: Hessian spectra, loss surfaces, SAM")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The runtime libraries of the fixed stack, as Debian 12 names them.
set(flatland_deb_depends "libtorch1.13, libhdf5-103-1, zlib1g, libopenblas0-pthread | libblas3")
if(FLATLAND_GUI)
  string(APPEND flatland_deb_depends ", libqt6widgets6, libqt6openglwidgets6, libqt6svg6, libvtk9.1")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${flatland_deb_depends}")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist, hdf5-tools")
set(CPACK_STRIP_FILES ON)  # release binaries; the build tree keeps the debug info
set(CPACK_GENERATOR "DEB")
include(CPack)
