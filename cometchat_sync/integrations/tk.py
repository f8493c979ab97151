"""Tkinter: run a client's listener calls on the Tk main thread, and follow the window.

::

    root = tkinter.Tk()
    client = CometChatClient(app_id, settings)
    bridge = attach(client, root)  # before login: no event can reach Tk from an SDK thread
    client.add_message_listener("view", MessageListener(on_text_message_received=show))
    client.login(uid, auth_key)
    root.mainloop()  # closing the window closes the client

Tk is not thread-safe for the SDK's purposes: a threaded Tcl marshals a call made from
another thread to the main thread and *waits* for it, so a call from the dispatcher thread
blocks while the main thread is busy (or has not entered ``mainloop()`` yet, where tkinter
raises ``RuntimeError: main thread is not in main loop`` after a second). So no SDK thread
calls Tk here: the client's callback executor only puts each listener call into a
``queue.SimpleQueue``, and the Tk thread takes them out with ``root.after`` every
``poll_ms`` milliseconds. Listener calls made before ``mainloop()`` starts wait in the queue,
in order. (The standard library has no thread-safe bridge into Tk; a queue polled with
``after`` is the pattern the tkinter documentation describes, so this module is that
pattern and nothing more.)
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import tkinter
import weakref
from typing import Callable
from typing import Optional
from typing import Union

from ..client import CometChatClient
from ..connection.state import AppState
from ..errors import CometChatException
from ..errors import ErrorCode

__all__ = ["TkBridge", "attach"]

log = logging.getLogger(__name__)

Window = Union[tkinter.Tk, tkinter.Toplevel]

# Window-manager states in which the window cannot be seen: the app is in the background.
_HIDDEN = frozenset({"iconic", "withdrawn"})
# The most time one poll spends running callbacks before it lets Tk redraw (seconds).
_TICK_BUDGET = 0.05
_MAX_POLL_MS = 1000

# Clients that have a bridge, so that a second attach() cannot silently steal the first's
# executor (its queued callbacks would never run). Weak both ways: the table keeps neither a
# client nor a bridge (and so a window) alive.
_BRIDGED: weakref.WeakKeyDictionary[CometChatClient, weakref.ref[TkBridge]] = (
    weakref.WeakKeyDictionary()
)
_BRIDGED_LOCK = threading.Lock()


def attach(
    client: CometChatClient, root: Window, *, poll_ms: int = 20, app_state: bool = True
) -> TkBridge:
    """Run ``client``'s listener calls on the Tk thread and tie the client to ``root``.

    From now on:

    * every listener call of ``client`` runs on the thread that called ``attach`` (the Tk
      thread), in order, within about ``poll_ms`` of the event; calls made before
      ``mainloop()`` starts wait and run when it does (or at ``root.update()``);
    * unless ``app_state`` is false, hiding the window (iconified or withdrawn: ``<Unmap>``
      of ``root`` itself) sets :attr:`~cometchat_sync.AppState.BACKGROUND`, showing it again
      (``<Map>``) sets ``FOREGROUND``; repeated events with no change of state do nothing,
      and focus changes never count (a dialog would otherwise make the link flap);
    * closing the window (``WM_DELETE_WINDOW``) runs the handler the app had set, or
      destroys the window if there was none; when ``root`` is destroyed, for whatever
      reason, the bridge detaches and the client is closed. A handler that only hides
      the window leaves the client open (in the background).

    Call it on the Tk thread, before the client can have events (before ``login``), so that
    no listener call runs on the dispatcher thread; not from a listener of this client that
    still runs on the dispatcher thread. ``client.logout()`` and ``client.close()`` called
    from a Tk callback (a listener of the bridge included) return without waiting on Tk,
    since the dispatcher thread never does.

    Args:
        client: the client whose listener calls move to the Tk thread.
        root: the application's ``tkinter.Tk`` (or a ``tkinter.Toplevel`` that stands for
            the application).
        poll_ms: how often the Tk thread looks for listener calls, in milliseconds (an int
            from 1 to 1000; default 20).
        app_state: whether the window's map state is the app state (a bool; default
            true). In auto mode the background drops the link, so a chat app that should
            go on receiving while minimised passes false.

    Returns:
        The :class:`TkBridge`; keep it to :meth:`TkBridge.detach` or :meth:`TkBridge.close`.

    Raises:
        CometChatException: ``ERR_INVALID_PARAMETER`` when ``client`` is not a
            ``CometChatClient``, ``root`` is not a Tk window or is destroyed, ``poll_ms`` is
            not an int from 1 to 1000, ``app_state`` is not a bool, or ``client`` already has
            a bridge that is attached.
    """
    if not isinstance(client, CometChatClient):
        raise CometChatException(ErrorCode.INVALID_PARAMETER, "client must be a CometChatClient.")
    if not isinstance(root, (tkinter.Tk, tkinter.Toplevel)):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, "root must be a tkinter.Tk or tkinter.Toplevel."
        )
    if isinstance(poll_ms, bool) or not isinstance(poll_ms, int) or not 0 < poll_ms <= 1000:
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, f"poll_ms must be an int from 1 to {_MAX_POLL_MS}."
        )
    if not isinstance(app_state, bool):
        raise CometChatException(ErrorCode.INVALID_PARAMETER, "app_state must be a bool.")
    try:
        exists = bool(int(root.winfo_exists()))
    except tkinter.TclError:
        exists = False
    if not exists:
        raise CometChatException(ErrorCode.INVALID_PARAMETER, "root is destroyed.")
    with _BRIDGED_LOCK:
        ref = _BRIDGED.get(client)
        current = ref() if ref is not None else None
        if current is not None and current.attached:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "client already has a Tk bridge; detach it first."
            )
        bridge = TkBridge(client, root, poll_ms, app_state)
        _BRIDGED[client] = weakref.ref(bridge)
    bridge._start()
    return bridge


class TkBridge:
    """What :func:`attach` set up between one client and one Tk window.

    The SDK side is one ``queue.SimpleQueue``: the client's callback executor puts each
    listener call into it and returns at once, never touching Tk. The Tk side is one
    ``root.after`` loop that runs what is queued, at most about 50 ms per turn so that the
    window keeps redrawing during a burst. Build it with :func:`attach`.
    """

    def __init__(
        self, client: CometChatClient, root: Window, poll_ms: int, app_state: bool = True
    ) -> None:
        self._client = client
        self._root = root
        self._poll_ms = poll_ms
        self._follow_map_state = app_state
        self._queue: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._attached = False
        self._after_id: Optional[str] = None
        self._bindings: list[tuple[str, str]] = []
        self._previous_protocol = ""
        self._own_protocol = ""
        self._state: Optional[AppState] = None
        self._tk_thread = threading.current_thread()

    # -- public ------------------------------------------------------------------------------

    @property
    def attached(self) -> bool:
        """Whether the bridge still runs listener calls on the Tk thread."""
        return self._attached

    @property
    def root(self) -> Window:
        """The window the client is tied to."""
        return self._root

    def post(self, callback: Callable[[], object]) -> None:
        """Run ``callback()`` on the Tk thread at the next poll, after the listener calls
        already queued. For the app's own worker threads (a REST call made off the Tk
        thread hands its result back this way). Never blocks; safe from any thread,
        including a listener. Dropped once the bridge is detached.

        Args:
            callback: a callable taking no arguments (what it returns is ignored); an
                exception it raises is logged
                (on ``cometchat_sync.integrations.tk``) and the next callback still runs.
        """
        if self._attached:
            self._queue.put(callback)

    def detach(self) -> None:
        """Undo :func:`attach`: stop polling, drop the listener calls still queued, restore
        the window's ``WM_DELETE_WINDOW`` handler and remove the bridge's bindings (the
        app's own stay). The client stays as it is (open, logged in).

        From now on the client's listener calls are dropped, not run: its listeners were
        written for the Tk thread, and one run on the dispatcher thread would call Tk from
        there (the events a ``close()`` itself causes would be the first). To have them run
        on the dispatcher thread again, call ``client.set_callback_executor(None)``; or
        :func:`attach` the client again. Idempotent; call it on the Tk thread (a listener
        that runs through this bridge may call it).
        """
        if not self._attached:
            return
        self._attached = False
        self._client.set_callback_executor(_drop)
        self._drop_queued()
        root = self._root
        try:
            if self._after_id is not None:
                root.after_cancel(self._after_id)
            if root.winfo_exists():
                root.protocol("WM_DELETE_WINDOW", self._previous_protocol)
                root.deletecommand(self._own_protocol)
                for sequence, funcid in self._bindings:
                    _unbind(root, sequence, funcid)
        except tkinter.TclError:  # the window is being destroyed: its bindings go with it
            pass
        self._after_id = None
        self._bindings = []

    def close(self, timeout: float = 2.0) -> None:
        """Detach, then close the client: listener calls still queued, and those the close
        itself causes, are dropped (after a close the app expects no more events). Returns
        without waiting on Tk. (A plain ``client.close()`` from a Tk callback returns at once
        too; whether the listener calls already handed over still run then follows the
        SDK's rule for a session that ends, in ``docs/events.md``.) Call it on the Tk
        thread (a listener that runs through this bridge may call it).

        Args:
            timeout: the most to wait for the SDK threads, in seconds (see
                :meth:`~cometchat_sync.CometChatClient.close`).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``timeout`` is not a
                positive, finite number of seconds.
        """
        self.detach()
        self._client.close(timeout)

    def __repr__(self) -> str:
        return f"TkBridge(client={self._client!r}, attached={self._attached})"

    # -- setting up ----------------------------------------------------------------------------

    def _start(self) -> None:
        root = self._root
        self._attached = True
        self._client.set_callback_executor(self._enqueue)
        self._previous_protocol = str(root.protocol("WM_DELETE_WINDOW") or "")
        root.protocol("WM_DELETE_WINDOW", self._on_delete_window)
        self._own_protocol = str(root.protocol("WM_DELETE_WINDOW"))
        handlers = [("<Destroy>", self._on_destroy)]
        if self._follow_map_state:
            handlers += [("<Map>", self._on_map_change), ("<Unmap>", self._on_map_change)]
        for sequence, handler in handlers:
            funcid = root.bind(sequence, handler, add="+")
            self._bindings.append((sequence, funcid))
        self._schedule(self._poll_ms)

    def _enqueue(self, call: Callable[[], None]) -> None:
        """The client's executor, on the dispatcher thread: queue, never touch Tk."""
        if self._attached:
            self._queue.put(call)

    # -- on the Tk thread ----------------------------------------------------------------------

    def _schedule(self, delay_ms: int) -> None:
        try:
            self._after_id = self._root.after(delay_ms, self._poll)
        except tkinter.TclError:  # the interpreter is gone
            self._after_id = None
            self._attached = False

    def _poll(self) -> None:
        self._after_id = None
        if not self._attached:
            return
        deadline = time.monotonic() + _TICK_BUDGET
        more = False
        try:
            while self._attached:
                try:
                    call = self._queue.get_nowait()
                except queue.Empty:
                    break
                try:
                    call()
                except Exception:  # the next call must still run; listeners' own are logged
                    log.exception("a callback on the Tk thread raised; the next one still runs")
                if time.monotonic() >= deadline:
                    more = True
                    break
        finally:
            # Also after a KeyboardInterrupt or SystemExit that goes on to Tk: the bridge
            # keeps polling for as long as it is attached.
            if self._attached:
                self._schedule(1 if more or not self._queue.empty() else self._poll_ms)

    def _on_map_change(self, event: tkinter.Event[tkinter.Misc]) -> None:
        # Every widget of the window has the window's binding tag, so the window's binding
        # also hears each child being mapped: only the window itself counts.
        if event.widget is not self._root or not self._attached:
            return
        try:
            hidden = str(self._root.wm_state()) in _HIDDEN
        except tkinter.TclError:
            return
        state = AppState.BACKGROUND if hidden else AppState.FOREGROUND
        if state is self._state:
            return  # coalesce: nothing changed
        self._state = state
        self._client.set_app_state(state)

    def _on_delete_window(self) -> None:
        previous = self._previous_protocol
        if previous:
            self._root.tk.eval(previous)  # the app's handler decides; <Destroy> closes
        else:
            self._root.destroy()

    def _on_destroy(self, event: tkinter.Event[tkinter.Misc]) -> None:
        if event.widget is not self._root or not self._attached:
            return
        self.close()

    def _drop_queued(self) -> None:
        dropped = 0
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
            dropped += 1
        if dropped:
            log.debug("dropped %d queued callbacks at detach", dropped)


def _drop(_call: Callable[[], None]) -> None:
    """The executor of a detached client: its listeners were written for the Tk thread."""


def _unbind(widget: tkinter.Misc, sequence: str, funcid: str) -> None:
    """Remove one ``bind(..., add="+")`` binding and keep the app's others.

    (``Misc.unbind(sequence, funcid)`` clears every binding of ``sequence`` before Python
    3.13.) A binding added by tkinter is one script line that calls ``funcid``.
    """
    script = str(widget.bind(sequence) or "")
    kept = [line for line in script.split("\n") if funcid not in line]
    widget.bind(sequence, "\n".join(kept).strip() or "")
    widget.deletecommand(funcid)
