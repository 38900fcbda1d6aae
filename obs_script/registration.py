"""Registering `backdrop_filter` with libobs once per process, and surviving script reloads.

libobs keeps the id string and every function pointer forever (source types cannot be
unregistered), while OBS re-runs a script on Scripts -> Reload and on scene-collection switches.
So the struct, the CFUNCTYPE objects and the name buffers live in the process-wide holder
(core/process_holder.py, under "registration"), and the callbacks forward to whichever implementation the latest
`script_load` installed. Every callback catches every exception: one escaping a ctypes callback
would be printed to stderr and the callback would return garbage to libobs.
"""

from __future__ import annotations

import ctypes
import itertools
import traceback
import types
from collections.abc import Callable

from ..core import process_holder
from . import libobs as L

KIND_ID = b"backdrop_filter"
DISPLAY_NAME = b"Backdrop"


def holder() -> types.SimpleNamespace | None:
    return process_holder.get("registration")


def _report(where: str, exc: BaseException) -> None:
    try:
        L.log(L.LOG_WARNING, f"{where} failed: {type(exc).__name__}: {exc}")
        tb = traceback.format_exc(limit=6)
        L.log(L.LOG_DEBUG, tb)
    except Exception:
        pass


def _make_callbacks(h: types.SimpleNamespace) -> dict[str, object]:
    """The C entry points. They hold only `h`, so they stay valid across reloads of this module."""

    def instance(data):
        return h.instances.get(data) if data else None

    def guarded(where, fn, default=None):
        def call(*args):
            try:
                return fn(*args)
            except BaseException as exc:  # noqa: BLE001 - nothing may escape into libobs
                filt = instance(args[0]) if args and where not in ("create", "get_defaults") else None
                if filt is not None and hasattr(filt, "log_error"):
                    filt.log_error(where, exc)
                else:
                    _report(where, exc)
                return default
        return call

    def get_name(_type_data):
        return ctypes.addressof(h.name_buf)

    def create(settings, source):
        filt = h.impl.create(settings, source)
        if filt is None:
            return None
        h.next_id += 1
        h.instances[h.next_id] = filt
        return h.next_id

    def destroy(data):
        filt = h.instances.pop(data, None)
        if filt is not None:
            filt.destroy()

    def get_defaults(settings):
        h.impl.get_defaults(settings)

    def get_properties(data):
        # The script-reload shim, kept on purpose: a holder registered by an older Backdrop in this
        # process (updated, script reloaded) has the callback under its old name, which calls
        # impl.preset_modified (obs_script/backdrop_filter.py).
        return h.impl.get_properties(instance(data), getattr(h, "modified_callback", None) or h.preset_callback)

    def properties_modified(props, prop, settings):
        return bool(h.impl.properties_modified(props, prop, settings))

    def update(data, settings):
        filt = instance(data)
        if filt is not None:
            filt.update(settings)

    def video_tick(data, seconds):
        filt = instance(data)
        if filt is not None:
            filt.video_tick(seconds)

    def filter_remove(data, _parent):
        filt = instance(data)
        if filt is not None and hasattr(filt, "filter_remove"):
            filt.filter_remove()

    def video_render(data, _effect):
        filt = instance(data)
        if filt is None:
            return
        try:
            filt.video_render()
        except BaseException as exc:
            filt.log_error("video_render", exc)
            # Whatever failed, the stream keeps its picture.
            L.lib.obs_source_skip_video_filter(filt.source)

    return {
        "get_name": L.GET_NAME(get_name),  # get_name must not fail: no guard needed
        "create": L.CREATE(guarded("create", create)),
        "destroy": L.DESTROY(guarded("destroy", destroy)),
        "get_defaults": L.GET_DEFAULTS(guarded("get_defaults", get_defaults)),
        "get_properties": L.GET_PROPERTIES(guarded("get_properties", get_properties)),
        "update": L.UPDATE(guarded("update", update)),
        "video_tick": L.VIDEO_TICK(guarded("video_tick", video_tick)),
        "video_render": L.VIDEO_RENDER(guarded("video_render", video_render)),
        "filter_remove": L.FILTER_REMOVE(guarded("filter_remove", filter_remove)),
        "properties_modified": L.PROPERTY_MODIFIED(guarded("properties_modified", properties_modified, False)),
    }


def ensure_registered(impl) -> types.SimpleNamespace:
    """Register the filter type on first call; later calls only swap in the new implementation."""
    h = holder()
    if h is None:
        h = types.SimpleNamespace(impl=impl, instances={}, next_id=0)
        h.id_buf = ctypes.create_string_buffer(KIND_ID)
        h.name_buf = ctypes.create_string_buffer(DISPLAY_NAME)
        h.callbacks = _make_callbacks(h)
        info = L.obs_source_info()
        info.id = ctypes.cast(h.id_buf, ctypes.c_char_p)
        info.type = L.OBS_SOURCE_TYPE_FILTER
        info.output_flags = L.OBS_SOURCE_VIDEO
        h.modified_callback = h.callbacks.pop("properties_modified")  # a property callback, not a struct field
        for field, cb in h.callbacks.items():
            setattr(info, field, cb)
        h.info = info
        process_holder.put("registration", h)
        L.lib.obs_register_source_s(ctypes.byref(info), ctypes.sizeof(info))
        L.log(L.LOG_INFO, f"registered filter '{KIND_ID.decode()}' (libobs "
                          f"{(L.lib.obs_get_version_string() or b'?').decode()})")
    else:
        h.impl = impl
        L.log(L.LOG_INFO, f"script reloaded; {len(h.instances)} live filter(s) keep running")
    return h


def queue_ui(job: Callable[[], None]) -> None:
    """Run `job` on OBS's UI thread (obs_queue_task, not waiting): from the graphics thread it is queued,
    from the UI thread itself it runs at once (OBS's handler uses Qt::AutoConnection). The C entry point
    lives in the holder, so a job queued before a script reload still finds it."""
    h = holder()
    assert h is not None  # registered before any filter exists
    if getattr(h, "job_task", None) is None:
        h.jobs, h.job_ids = {}, itertools.count(1)  # next() on a count is atomic under the GIL: any thread queues

        def run(param):
            job = h.jobs.pop(param or 0, None)
            try:
                if job is not None:
                    job()
            except BaseException as exc:  # noqa: BLE001 - nothing may escape into libobs
                _report("ui job", exc)

        h.job_task = L.TASK(run)
    job_id = next(h.job_ids)
    h.jobs[job_id] = job
    L.lib.obs_queue_task(L.OBS_TASK_UI, h.job_task, job_id, False)


def ui_task() -> ctypes._CFunctionType:  # an L.TASK (a ctypes function type; mypy takes L.TASK for a variable)
    """The C entry point for work queued to OBS's UI thread (obs_queue_task): settings repairs. Kept in
    the holder, like the callbacks, so a task queued before a script reload still finds it."""
    h = holder()
    assert h is not None  # registered before any task is queued
    if getattr(h, "ui_task", None) is None:
        def run(source):
            try:
                h.impl.repair_settings(source)  # releases `source`
            except BaseException as exc:  # noqa: BLE001 - nothing may escape into libobs
                _report("repair_settings", exc)
                if not hasattr(h.impl, "repair_settings"):
                    L.lib.obs_source_release(source)  # an implementation without it: the reference stays ours

        h.ui_task = L.TASK(run)
    return h.ui_task
