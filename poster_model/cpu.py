"""Which int8 instruction family this x86-64 CPU offers onnxruntime's kernels: their results differ in the last
bits from one family to the next (and U8S8 products can saturate without VNNI), so figures and tolerances are
reported per family."""
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
FAMILIES = (("AMX", {"amx_int8"}), ("AVX-512 VNNI", {"avx512_vnni"}), ("AVX-VNNI", {"avx_vnni"}),
            ("AVX-512", {"avx512bw"}), ("AVX2", {"avx2"}))
"""Best first: the first family whose flags the CPU has is the one MLAS's int8 kernels use."""


def cpuinfo_field(name: str, cpuinfo: Path = CPUINFO) -> str | None:
    """The first processor's value of a /proc/cpuinfo field; None where there is no such file or field."""
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else ():
        if line.startswith(name):
            return line.split(":", 1)[1]
    return None


def cpu_flags(cpuinfo: Path = CPUINFO) -> set[str]:
    return set((cpuinfo_field("flags", cpuinfo) or "").split())


def int8_instruction_family(flags: set[str] | None = None) -> str:
    flags = cpu_flags() if flags is None else flags
    return next((name for name, needed in FAMILIES if needed <= flags), "none of AVX2/AVX-512/VNNI/AMX")


def cpu_model_name(cpuinfo: Path = CPUINFO) -> str:
    return (cpuinfo_field("model name", cpuinfo) or "unknown").strip()
