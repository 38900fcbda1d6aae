"""Which provider the smoke test expects on Windows: ONNX Runtime's own rule for DirectML's adapters.

onnxruntime-directml takes hardware adapters only (onnxruntime/core/providers/dml/dml_provider_factory.cc:
by device id, `IsSoftwareAdapter` refuses DXGI_ADAPTER_FLAG_SOFTWARE and the Microsoft Basic Render Driver,
vendor 0x1414 device 0x8c; by default, `FilterDXCoreAdapters` keeps hardware GPUs only, `IsHardwareAdapter`).
On a runner without a GPU, Direct3D 12's default adapter is WARP, the software one: D3D12CreateDevice(NULL, ...)
succeeds there, but DirectML refuses it, so the CPU is right. `adapters()` asks DXGI (Windows only);
`directml_adapter` is the rule, testable anywhere.
"""

from __future__ import annotations

from typing import NamedTuple

DXGI_ADAPTER_FLAG_SOFTWARE = 2
BASIC_RENDER_DRIVER = (0x1414, 0x8C)  # Microsoft's vendor id, the Basic Render Driver (WARP)
D3D_FEATURE_LEVEL_11_0 = 0xB000  # what DirectML's D3D12CreateDevice asks for


class Adapter(NamedTuple):
    """One DXGI adapter as DXGI_ADAPTER_DESC1 describes it, and whether Direct3D 12 can make a device on it."""

    description: str
    vendor_id: int
    device_id: int
    flags: int
    d3d12: bool


def is_software(adapter: Adapter) -> bool:
    return bool(adapter.flags & DXGI_ADAPTER_FLAG_SOFTWARE) or (adapter.vendor_id, adapter.device_id) == \
        BASIC_RENDER_DRIVER


def directml_adapter(adapters: list[Adapter]) -> tuple[Adapter | None, str]:
    """The adapter DirectML would take (None: it takes none, the CPU is right), and why, adapter by adapter."""
    notes = []
    chosen = None
    for a in adapters:
        name = f"{a.description} ({a.vendor_id:#06x}:{a.device_id:#x})"
        if is_software(a):
            notes.append(f"{name}: software (WARP), which DirectML refuses")
        elif not a.d3d12:
            notes.append(f"{name}: Direct3D 12 cannot create a device (feature level 11_0) on it")
        else:
            notes.append(f"{name}: a hardware adapter with Direct3D 12")
            chosen = chosen or a
    return chosen, "DXGI adapters: " + ("; ".join(notes) if notes else "none")


def adapters() -> list[Adapter]:
    """Every DXGI adapter (CreateDXGIFactory1, IDXGIFactory1::EnumAdapters1, IDXGIAdapter1::GetDesc1), each tried
    with D3D12CreateDevice(adapter, 11_0, ID3D12Device, NULL), which only tests. Windows only."""
    import ctypes
    from ctypes import wintypes

    class GUID(ctypes.Structure):
        _fields_ = [("Data1", ctypes.c_uint32), ("Data2", ctypes.c_uint16), ("Data3", ctypes.c_uint16),
                    ("Data4", ctypes.c_ubyte * 8)]

    class DESC1(ctypes.Structure):  # DXGI_ADAPTER_DESC1 (dxgi.h)
        _fields_ = [("Description", ctypes.c_wchar * 128), ("VendorId", wintypes.UINT),
                    ("DeviceId", wintypes.UINT), ("SubSysId", wintypes.UINT), ("Revision", wintypes.UINT),
                    ("DedicatedVideoMemory", ctypes.c_size_t), ("DedicatedSystemMemory", ctypes.c_size_t),
                    ("SharedSystemMemory", ctypes.c_size_t), ("AdapterLuid", ctypes.c_int64),
                    ("Flags", wintypes.UINT)]

    def guid(d1, d2, d3, *d4) -> GUID:
        return GUID(d1, d2, d3, (ctypes.c_ubyte * 8)(*d4))

    def method(obj: ctypes.c_void_p, index: int, *argtypes):
        """A COM method: slot `index` of the object's vtable (IUnknown 0-2, IDXGIObject 3-6, ...)."""
        vtable = ctypes.cast(obj, ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p))).contents
        return ctypes.WINFUNCTYPE(ctypes.c_long, ctypes.c_void_p, *argtypes)(vtable[index])

    iid_factory1 = guid(0x770AAE78, 0xF26F, 0x4DBA, 0xA8, 0x29, 0x25, 0x3C, 0x83, 0xD1, 0xB3, 0x87)
    iid_device = guid(0x189819F1, 0x1DB6, 0x4B57, 0xBE, 0x54, 0x18, 0x21, 0x33, 0x9B, 0x85, 0xF7)
    dxgi, d3d12 = ctypes.WinDLL("dxgi"), ctypes.WinDLL("d3d12")
    dxgi.CreateDXGIFactory1.argtypes = [ctypes.POINTER(GUID), ctypes.POINTER(ctypes.c_void_p)]
    dxgi.CreateDXGIFactory1.restype = ctypes.c_long
    d3d12.D3D12CreateDevice.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(GUID), ctypes.c_void_p]
    d3d12.D3D12CreateDevice.restype = ctypes.c_long
    factory = ctypes.c_void_p()
    hr = dxgi.CreateDXGIFactory1(ctypes.byref(iid_factory1), ctypes.byref(factory))
    if hr < 0:
        raise OSError(f"CreateDXGIFactory1 returned 0x{hr & 0xFFFFFFFF:08X}")
    found = []
    try:
        for index in range(16):
            adapter = ctypes.c_void_p()
            enum = method(factory, 12, wintypes.UINT, ctypes.POINTER(ctypes.c_void_p))  # EnumAdapters1
            if enum(factory, index, ctypes.byref(adapter)) < 0:  # DXGI_ERROR_NOT_FOUND: no more
                break
            try:
                desc = DESC1()
                method(adapter, 10, ctypes.POINTER(DESC1))(adapter, ctypes.byref(desc))  # GetDesc1
                ok = d3d12.D3D12CreateDevice(adapter, D3D_FEATURE_LEVEL_11_0, ctypes.byref(iid_device), None) >= 0
                found.append(Adapter(desc.Description, desc.VendorId, desc.DeviceId, desc.Flags, ok))
            finally:
                method(adapter, 2)(adapter)  # Release
    finally:
        method(factory, 2)(factory)
    return found
