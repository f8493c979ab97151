"""The events layer (internal): from an incoming frame to the app's listeners, in order, once.

* :mod:`.router`: frame → typed model and the listener method it means (pure code);
* :mod:`.ledger`: what was delivered, so nothing is lost or doubled across a reconnect;
* :mod:`.registry`: listeners of one family, keyed by id;
* :mod:`.dispatcher`: the one thread that runs user code;
* :mod:`.delivery`: ties them together, and catches up after a reconnect;
* :mod:`.outbound`: the events the client sends (typing, receipts, transient messages).

Nothing here is public API: import from :mod:`cometchat_sync` instead.
"""
