# A Spack recipe for tessera: `spack repo add spack && spack install tessera`.
from spack.package import *


class Tessera(CMakePackage):
    """Dask for MPI batch jobs: chunked arrays and task graphs scheduled over MPI ranks."""

    homepage = "https://example.invalid/tessera"
    git = "https://example.invalid/tessera.git"

    version("main", branch="main")

    variant("tests", default=False, description="Build the test suite")

    depends_on("cmake@3.20:", type="build")
    depends_on("mpi")
    depends_on("hdf5+mpi")
    depends_on("boost+serialization")
    depends_on("cli11")
    depends_on("blas")
    depends_on("lapack")
    depends_on("nlohmann-json")
    depends_on("random123")
    depends_on("sleef")
    depends_on("googletest", when="+tests")

    def cmake_args(self):
        return [
            self.define_from_variant("TESSERA_BUILD_TESTS", "tests"),
            self.define("TESSERA_BUILD_BENCHMARKS", False),
        ]
