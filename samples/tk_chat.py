"""A desktop chat window in Tkinter: contacts with presence, history, typing, read ticks and
the connection's state in the status bar.

With no environment it runs against an emulator started in this process, where a second
user (a bot on its own client) answers every message; ``--no-bot`` turns it off. With
``COMETCHAT_APP_ID``, ``COMETCHAT_REGION`` and ``COMETCHAT_AUTH_KEY`` set it talks to the
hosted CometChat service instead.

    python samples/tk_chat.py                  # pick a user in a dialog
    python samples/tk_chat.py --uid superhero1 --no-bot
    python samples/tk_chat.py --uid superhero1 --close-after 5   # a short demo

Threads: every listener runs on the Tk thread through
``cometchat_sync.integrations.tk.attach``; REST calls run on one worker thread and hand
their result back with ``TkBridge.post``, so the window never waits on the network.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import signal
import tkinter as tk
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from tkinter import ttk
from typing import Any
from typing import Callable
from typing import Optional
from typing import TypeVar

from tk_chat_peer import EchoBot
from tk_chat_peer import service

from cometchat_sync import BaseMessage
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import ConnectionListener
from cometchat_sync import ConnectionStateChange
from cometchat_sync import MessageListener
from cometchat_sync import MessageReceipt
from cometchat_sync import TextMessage
from cometchat_sync import TypingIndicator
from cometchat_sync import User
from cometchat_sync import UserListener
from cometchat_sync import UsersRequestBuilder
from cometchat_sync.integrations.tk import TkBridge
from cometchat_sync.integrations.tk import attach

T = TypeVar("T")

# The users every new CometChat app (and the emulator) starts with.
DEFAULT_USERS = ("superhero1", "superhero2", "superhero3", "superhero4", "superhero5")
STATUS_COLOURS = {
    "connected": "#2e7d32",
    "connecting": "#ef6c00",
    "disconnected": "#c62828",
    "feature_throttled": "#6a1b9a",
}
# Status of an own message -> its ticks and their colour.
TICKS = {"sent": ("✓", "#8696a0"), "delivered": ("✓✓", "#8696a0"), "read": ("✓✓", "#34b7f1")}
BUBBLES = {"me": "#d9fdd3", "them": "#ffffff"}
TYPING_IDLE_MS = 2000
TYPING_REPEAT_S = 3.0


@dataclass
class Line:
    """One message of a conversation as the window shows it."""

    id: int
    sender: str
    text: str
    sent_at: Optional[int]
    status: str = "sent"  # sent, delivered or read (own messages only)


def dot(root: tk.Misc, colour: str, size: int = 10) -> tk.PhotoImage:
    """A filled circle of ``colour`` (for the presence of a contact)."""
    image = tk.PhotoImage(master=root, width=size, height=size)
    r = (size - 1) / 2
    for y in range(size):
        xs = [x for x in range(size) if (x - r) ** 2 + (y - r) ** 2 <= r * r + 0.5]
        if xs:
            image.put(colour, to=(xs[0], y, xs[-1] + 1, y + 1))
    return image


class ChatWindow:
    """The chat window over one logged-in ``client`` (build it, then ``root.mainloop()``).

    ``attach`` moves every listener call to the Tk thread; REST calls go to one worker.
    Closing the window destroys it, and the bridge then closes the client.
    """

    def __init__(
        self, root: tk.Tk, client: CometChatClient, contacts: Optional[Sequence[str]] = None
    ) -> None:
        me = client.get_logged_in_user()
        if me is None:
            raise ValueError("log the client in first")
        self.root, self.client, self.me = root, client, me
        self.contacts: list[str] = []  # in the order of the list on the left
        self.peer: Optional[str] = None
        self.names: dict[str, str] = {}
        self.online: dict[str, bool] = {}
        self.lines: dict[str, list[Line]] = {}
        self.unread: dict[str, int] = {}
        # Per contact, the newest own message they have had delivered / read: a receipt can
        # come before the answer of the REST call that sent the message.
        self.receipts: dict[str, dict[str, int]] = {}
        self.status_history: list[str] = []
        self._typing_since = 0.0
        self._typing_to: Optional[str] = None
        self._typing_stop: Optional[str] = None
        self.io = ThreadPoolExecutor(1, thread_name_prefix="tk-chat-io")
        root.protocol("WM_DELETE_WINDOW", self.quit)  # the bridge wraps this handler
        self.bridge: TkBridge = attach(client, root)  # destroying root closes the client
        self._build()
        root.bind("<Destroy>", self._on_destroy, add="+")
        client.add_connection_listener(
            "tk-chat", ConnectionListener(on_state_change=self._on_state)
        )
        client.add_user_listener(
            "tk-chat",
            UserListener(
                on_user_online=lambda u: self._presence(u, True),
                on_user_offline=lambda u: self._presence(u, False),
            ),
        )
        client.add_message_listener(
            "tk-chat",
            MessageListener(
                on_text_message_received=self._on_message,
                on_typing_started=lambda i: self._on_typing(i, True),
                on_typing_ended=lambda i: self._on_typing(i, False),
                on_messages_delivered=lambda r: self._on_receipt(r, "delivered"),
                on_messages_read=lambda r: self._on_receipt(r, "read"),
            ),
        )
        self._show_status(str(client.get_connection_status().value))
        if contacts is None:  # everyone on the server (one page)
            users = UsersRequestBuilder(client).set_limit(50).build()
            self._in_background(users.fetch_next, self._on_users)
        else:
            for uid in contacts:
                self._add_contact(uid)
            if self.contacts:
                self.open(self.contacts[0])
        self._in_background(client.get_unread_message_count_for_all_users, self._on_unread)

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        root = self.root
        root.title(f"CometChat — {self.me.name or self.me.uid}")
        root.geometry("820x540")
        root.minsize(560, 360)
        style = ttk.Style(root)
        if "clam" in style.theme_names():
            style.theme_use("clam")
        style.configure("Side.TFrame", background="#f0f2f5")
        style.configure("Side.TLabel", background="#f0f2f5", font=("TkDefaultFont", 10, "bold"))
        style.configure("Head.TLabel", font=("TkDefaultFont", 13, "bold"))
        style.configure("Sub.TLabel", foreground="#667781")
        style.configure("Treeview", rowheight=30, borderwidth=0)
        self.dots = {True: dot(root, "#25d366"), False: dot(root, "#b0b7bd")}

        side = ttk.Frame(root, style="Side.TFrame", padding=(10, 10, 0, 10))
        side.grid(row=0, column=0, sticky="ns")
        ttk.Label(side, text="Chats", style="Side.TLabel").pack(anchor="w", pady=(0, 6))
        self.people = ttk.Treeview(side, show="tree", selectmode="browse", height=12)
        self.people.column("#0", width=200)
        self.people.pack(fill="y", expand=True)
        self.people.bind("<<TreeviewSelect>>", self._on_pick)

        main = ttk.Frame(root, padding=(14, 10, 14, 6))
        main.grid(row=0, column=1, sticky="nsew")
        root.columnconfigure(1, weight=1)
        root.rowconfigure(0, weight=1)
        self.title = ttk.Label(main, text="", style="Head.TLabel")
        self.title.grid(row=0, column=0, sticky="w")
        self.subtitle = ttk.Label(main, text="", style="Sub.TLabel")
        self.subtitle.grid(row=1, column=0, sticky="w", pady=(0, 6))
        self.transcript = tk.Text(
            main, wrap="word", state="disabled", relief="flat", padx=10, pady=8,
            background="#efeae2", font=("TkDefaultFont", 11), cursor="arrow",
        )  # fmt: skip
        self.transcript.grid(row=2, column=0, sticky="nsew")
        bar = ttk.Scrollbar(main, command=self.transcript.yview)
        bar.grid(row=2, column=1, sticky="ns")
        self.transcript.configure(yscrollcommand=bar.set)
        t = self.transcript
        t.tag_configure("them", justify="left", spacing1=6)
        t.tag_configure("me", justify="right", spacing1=6)
        #: What the conversation shows: per message, its text label and its ticks (own ones).
        self.shown: list[tuple[tk.Label, Optional[tk.Label]]] = []
        main.columnconfigure(0, weight=1)
        main.rowconfigure(2, weight=1)
        self.typing = ttk.Label(
            main, text="", style="Sub.TLabel", font=("TkDefaultFont", 9, "italic")
        )
        self.typing.grid(row=3, column=0, sticky="w", pady=(4, 2))
        row = ttk.Frame(main)
        row.grid(row=4, column=0, columnspan=2, sticky="ew")
        row.columnconfigure(0, weight=1)
        self.entry = ttk.Entry(row, font=("TkDefaultFont", 11))
        self.entry.grid(row=0, column=0, sticky="ew", ipady=4)
        self.entry.bind("<Return>", lambda _e: self.send())
        self.entry.bind("<KeyPress>", self._on_key)
        ttk.Button(row, text="Send", command=self.send).grid(row=0, column=1, padx=(8, 0))

        status = ttk.Frame(root, padding=(10, 3), relief="groove")
        status.grid(row=1, column=0, columnspan=2, sticky="ew")
        self.status = tk.Label(status, text="", anchor="w", font=("TkDefaultFont", 9, "bold"))
        self.status.pack(side="left")
        self.who = ttk.Label(status, text=f"signed in as {self.me.uid}", style="Sub.TLabel")
        self.who.pack(side="right")

    # -- actions (Tk thread) ---------------------------------------------------------------------

    def open(self, uid: str) -> None:
        """Show the conversation with ``uid``; its history loads in the background."""
        self.peer = uid
        self.unread[uid] = 0
        self._render_contact(uid)
        if self.people.selection() != (uid,):
            self.people.selection_set(uid)
        self.typing.configure(text="")
        self._render()
        self._in_background(
            lambda: self.client.fetch_messages(uid, limit=50),
            lambda messages: self._on_history(uid, messages),
        )

    def send(self) -> None:
        """Send what the entry holds to the open conversation."""
        text = self.entry.get().strip()
        if not text or self.peer is None:
            return
        self.entry.delete(0, "end")
        self._stop_typing()
        peer = self.peer
        self._in_background(
            lambda: self.client.send_message(TextMessage(peer, text)),
            lambda message: self._add(peer, message),
        )

    def quit(self) -> None:
        """Close the window: the worker stops, the bridge closes the client."""
        self.root.destroy()

    def _on_destroy(self, event: tk.Event[Any]) -> None:
        if event.widget is self.root:
            # A call still running finishes on its own; its result is dropped by the bridge.
            self.io.shutdown(wait=False, cancel_futures=True)

    # -- listeners (Tk thread, through the bridge) ------------------------------------------------

    def _on_state(self, change: ConnectionStateChange) -> None:
        self._show_status(str(change.current.value))

    def _on_message(self, message: TextMessage) -> None:
        uid = message.sender_uid
        if message.receiver_type == "user":
            self._add_contact(uid)  # someone new writes: they join the list
            self._add(uid, message)
            if uid == self.peer:
                self.typing.configure(text="")
            else:
                self.unread[uid] += 1
                self._render_contact(uid)

    def _on_typing(self, indicator: TypingIndicator, started: bool) -> None:
        who = indicator.sender.uid if indicator.sender else None
        if who is None or who != self.peer:
            return
        name = self.names.get(who, who)
        self.typing.configure(text=f"{name} is typing…" if started else "")

    def _on_receipt(self, receipt: MessageReceipt, status: str) -> None:
        who = receipt.sender.uid if receipt.sender else receipt.receiver_id
        marks = self.receipts.setdefault(who, {})
        marks[status] = max(marks.get(status, 0), receipt.message_id)
        changed = [self._tick(who, line) for line in self.lines.get(who, [])]
        if any(changed) and who == self.peer:
            self._render()

    def _tick(self, uid: str, line: Line) -> bool:
        """Bring an own message's ticks up to the receipts ``uid`` sent; whether they moved."""
        if line.sender != self.me.uid:
            return False
        marks, before = self.receipts.get(uid, {}), line.status
        if line.id <= marks.get("read", 0):
            line.status = "read"
        elif line.id <= marks.get("delivered", 0) and line.status == "sent":
            line.status = "delivered"
        return line.status != before

    def _presence(self, user: User, online: bool) -> None:
        if user.uid in self.lines:
            self.online[user.uid] = online
            self.people.item(user.uid, image=self.dots[online])
            self._render_title()

    # -- results of the worker (Tk thread) -----------------------------------------------------

    def _add_contact(self, uid: str, fetch: bool = True) -> None:
        if uid == self.me.uid or uid in self.lines:
            return
        self.contacts.append(uid)
        self.names[uid] = uid
        self.lines[uid], self.unread[uid] = [], 0
        self.people.insert("", "end", iid=uid, text=f"  {uid}", image=self.dots[False])
        if fetch:
            self._in_background(functools.partial(self.client.get_user, uid), self._on_user)

    def _on_users(self, users: list[User]) -> None:
        for user in users:
            self._add_contact(user.uid, fetch=False)
            if user.uid in self.lines:
                self._on_user(user)
        if self.peer is None and self.contacts:
            self.open(self.contacts[0])

    def _on_unread(self, counts: dict[str, int]) -> None:
        for uid, count in counts.items():
            if uid in self.lines and uid != self.peer:
                self.unread[uid] = count
                self._render_contact(uid)

    def _on_user(self, user: User) -> None:
        self.names[user.uid] = user.name or user.uid
        self._render_contact(user.uid)
        self._presence(user, user.status == "online")

    def _on_history(self, uid: str, messages: list[BaseMessage]) -> None:
        known = {line.id for line in self.lines[uid]}
        for message in messages:
            if message.id not in known and isinstance(message, TextMessage):
                self.lines[uid].append(self._line(message))
        self.lines[uid].sort(key=lambda line: line.id)
        if uid == self.peer:
            self._render()
            incoming = [m for m in messages if m.sender_uid == uid]
            if incoming:
                self._in_background(lambda: self.client.mark_as_read(incoming[-1]), None)

    def _add(self, uid: str, message: BaseMessage) -> None:
        if any(line.id == message.id for line in self.lines[uid]):
            return
        line = self._line(message)
        self._tick(uid, line)
        self.lines[uid].append(line)
        if uid == self.peer:
            self._render()
            if message.sender_uid == uid:
                self._in_background(lambda: self.client.mark_as_read(message), None)

    def _line(self, message: BaseMessage) -> Line:
        text = message.text if isinstance(message, TextMessage) else f"[{message.type}]"
        status = "read" if message.read_at else "delivered" if message.delivered_at else "sent"
        return Line(message.id, message.sender_uid, text, message.sent_at, status)

    # -- drawing ---------------------------------------------------------------------------------

    def _show_status(self, status: str) -> None:
        self.status_history.append(status)
        label = status.replace("_", " ").capitalize()
        self.status.configure(text=f"●  {label}", foreground=STATUS_COLOURS.get(status, "#333"))

    def _render_contact(self, uid: str) -> None:
        count = self.unread.get(uid, 0)
        badge = f"   ({count} new)" if count else ""
        self.people.item(uid, text=f"  {self.names.get(uid, uid)}{badge}")

    def _render_title(self) -> None:
        if self.peer is not None:
            self.title.configure(text=self.names.get(self.peer, self.peer))
            self.subtitle.configure(text="online" if self.online.get(self.peer) else "offline")

    def _render(self) -> None:
        self._render_title()
        t = self.transcript
        t.configure(state="normal")
        t.delete("1.0", "end")
        for text_label, _ in self.shown:
            text_label.master.destroy()
        self.shown = []
        for line in self.lines.get(self.peer or "", []):
            side = "me" if line.sender == self.me.uid else "them"
            t.window_create("end", window=self._bubble(line, side), padx=6, pady=2)
            t.insert("end", "\n")
            t.tag_add(side, "end - 2 lines", "end - 1 chars")
        t.configure(state="disabled")
        t.see("end")

    def _bubble(self, line: Line, side: str) -> tk.Frame:
        colour = BUBBLES[side]
        bubble = tk.Frame(self.transcript, background=colour, padx=10, pady=6)
        text = tk.Label(
            bubble, text=line.text, background=colour, wraplength=380, justify="left",
            font=("TkDefaultFont", 11),
        )  # fmt: skip
        text.pack(anchor="w")
        meta = tk.Frame(bubble, background=colour)
        meta.pack(anchor="e")
        when = datetime.fromtimestamp(line.sent_at).strftime("%H:%M") if line.sent_at else ""
        small = ("TkDefaultFont", 8)
        tk.Label(meta, text=when, background=colour, foreground="#667781", font=small).pack(
            side="left"
        )
        ticks: Optional[tk.Label] = None
        if side == "me":
            marks, tint = TICKS[line.status]
            ticks = tk.Label(meta, text=marks, background=colour, foreground=tint, font=small)
            ticks.pack(side="left", padx=(4, 0))
        self.shown.append((text, ticks))
        return bubble

    # -- typing and plumbing ---------------------------------------------------------------------

    def _on_key(self, event: tk.Event[Any]) -> None:
        if self.peer is None or event.keysym in ("Return", "KP_Enter"):
            return
        now = datetime.now().timestamp()
        if self._typing_to != self.peer or now - self._typing_since > TYPING_REPEAT_S:
            self._typing_to, self._typing_since = self.peer, now
            indicator = TypingIndicator(self.peer)
            self._in_background(lambda: self.client.start_typing(indicator), None)
        if self._typing_stop is not None:
            self.root.after_cancel(self._typing_stop)
        self._typing_stop = self.root.after(TYPING_IDLE_MS, self._stop_typing)

    def _stop_typing(self) -> None:
        if self._typing_stop is not None:
            self.root.after_cancel(self._typing_stop)
            self._typing_stop = None
        if self._typing_to is not None:
            indicator = TypingIndicator(self._typing_to)
            self._typing_to = None
            self._in_background(lambda: self.client.end_typing(indicator), None)

    def _on_pick(self, _event: object) -> None:
        picked = self.people.selection()
        if picked and picked[0] != self.peer:
            self.open(picked[0])

    def _in_background(self, work: Callable[[], T], then: Optional[Callable[[T], None]]) -> None:
        """Run ``work`` on the worker thread; ``then(result)`` on the Tk thread."""

        def run() -> None:
            try:
                result = work()
            except CometChatException as exc:
                self.bridge.post(functools.partial(self._show_error, exc))
                return
            if then is not None:
                self.bridge.post(lambda: then(result))

        with contextlib.suppress(RuntimeError):  # the worker is shut down: the window closed
            self.io.submit(run)

    def _show_error(self, exc: CometChatException) -> None:
        self.typing.configure(text=f"⚠ {exc.code}: {exc.message}")


def ask_uid(root: tk.Tk, choices: Sequence[str]) -> Optional[str]:
    """A small login dialog; the chosen uid, or ``None`` when it was closed."""
    root.withdraw()
    dialog = tk.Toplevel(root)
    dialog.title("Sign in to CometChat")
    frame = ttk.Frame(dialog, padding=20)
    frame.pack(fill="both", expand=True)
    ttk.Label(frame, text="Sign in as", font=("TkDefaultFont", 12, "bold")).pack(anchor="w")
    uid = tk.StringVar(dialog, value=choices[0])
    box = ttk.Combobox(frame, textvariable=uid, values=list(choices), width=24)
    box.pack(fill="x", pady=10)
    chosen: list[str] = []

    def ok() -> None:
        if uid.get().strip():
            chosen.append(uid.get().strip())
            dialog.destroy()

    ttk.Button(frame, text="Sign in", command=ok).pack(anchor="e")
    dialog.bind("<Return>", lambda _e: ok())
    box.focus_set()
    root.wait_window(dialog)
    root.deiconify()
    return chosen[0] if chosen else None


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uid", help="log in as this user (default: ask)")
    parser.add_argument("--no-bot", action="store_true", help="no user that answers")
    parser.add_argument("--users", help="contacts, comma-separated uids (default: everyone)")
    parser.add_argument(
        "--close-after", type=float, help="close the window after this many seconds (a demo)"
    )
    args = parser.parse_args(argv)
    users = [u.strip().lower() for u in (args.users or "").split(",") if u.strip()] or None
    with service() as (app_id, builder, auth_key, emulated):
        settings = builder.subscribe_presence_for_all_users().build()
        root = tk.Tk()
        uid = args.uid or ask_uid(root, users or DEFAULT_USERS)
        if uid is None:
            root.destroy()
            return
        client = CometChatClient(app_id, settings)
        client.login(uid, auth_key)
        window = ChatWindow(root, client, users)
        bot = None
        if emulated and not args.no_bot:  # the emulator's users are the default ones
            other = next(u for u in (users or DEFAULT_USERS) if u != window.me.uid)
            bot = EchoBot(app_id, settings, auth_key, other)
        close = root.protocol("WM_DELETE_WINDOW")
        if args.close_after is not None:  # as if the window manager's close button was hit
            root.after(int(args.close_after * 1000), lambda: root.tk.eval(close))
        # Ctrl-C in the terminal closes the window like its close button: the handler runs
        # on the main thread between Tk callbacks and only schedules the close.
        signal.signal(signal.SIGINT, lambda _sig, _frame: root.after(0, root.tk.eval, close))
        print(f"Signed in as {uid}. Close the window or press Ctrl-C to quit.", flush=True)
        try:
            root.mainloop()
        finally:
            if bot is not None:
                bot.close()
            client.close()
            window.io.shutdown(wait=True)  # the window is gone: waiting is fine now


if __name__ == "__main__":
    main()
