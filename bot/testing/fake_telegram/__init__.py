"""A fake Telegram Bot API server for offline tests of a python-telegram-bot (PTB 22) bot.

Standard library only. A ``ThreadingHTTPServer`` runs in a daemon thread on 127.0.0.1 with an
ephemeral port; point PTB at it with::

    with FakeTelegram(token=TOKEN, bot_username="shanxi_qa_bot") as fake:
        app = (ApplicationBuilder().token(TOKEN)
               .base_url(fake.base_url).base_file_url(fake.base_file_url).build())

Set ``NO_PROXY=127.0.0.1,localhost`` (httpx routes even 127.0.0.1 through ``HTTP(S)_PROXY`` /
``ALL_PROXY``) and ``PTB_TIMEDELTA=1``.

IMPORTANT - never block the bot under test
    Every ``wait_*`` method blocks the calling *thread* (on a ``threading.Condition``, never a busy
    loop) with its own ``timeout`` and raises ``TimeoutError`` when it expires. An in-process PTB
    bot shares the test's event loop, so from an ``async`` test always call them through
    ``asyncio.to_thread``::

        msg = await asyncio.to_thread(fake.wait_for_message, chat_id=1001, timeout=5)

    Do not wrap that in ``asyncio.wait_for``: the cancelled thread keeps waiting and silently
    consumes the next message. The ``inject_*``/``press_button``/``fail``/``revoke`` methods never
    block and may be called directly from the event loop.

What is emulated (the ``_m_*`` methods of updates.py, messages.py and commands.py): URLs
``/bot<token>/<method>`` with case-insensitive method names; ``/file/bot<token>/...`` always
answers 404. Replies are ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
"description": "..."}`` (+ ``parameters.retry_after`` for 429). A well-formed but different token
gets 401 "Unauthorized", a malformed one 404 "Not Found"; an unimplemented method gets 404 "Not
Found: method X not implemented in the fake" (PTB turns every 404 into ``InvalidToken``, hence the
explicit description). Bodies may be form-encoded (values JSON-encoded as PTB sends them), JSON or
multipart/form-data.

Text validation follows Telegram (text.py, entities.py): the text is parsed according to
``parse_mode`` (HTML, the only mode the bot sends; errors give 400 "Bad Request: can't parse
entities: <reason>", reasons worded like Telegram's tdlib; MarkdownV2 and legacy Markdown are not
parsed and get 400 "Bad Request: parse_mode ... is unsupported by the fake"), leading/trailing
whitespace is trimmed (Python ``str.strip()`` plus zero-width space, word joiner and BOM - an
approximation of Telegram's set), an empty result gives 400 "Bad Request: message text is empty",
and a visible text longer than 4096 *UTF-16 code units* gives 400 "Bad Request: message is too
long". Telegram's documentation says "characters"; entity offsets are UTF-16 based, so the fake
counts UTF-16 units, which is the stricter choice: an emoji outside the BMP counts 2. Plain BMP
text (e.g. Chinese) counts 1 per character either way. The HTML parser is deliberately stricter
than Telegram in one respect: a bare ``&`` that does not start one of ``&lt; &gt; &amp; &quot;
&#NN; &#xHH;`` is rejected (Telegram may keep it literally); unescaped content is the most common
production failure, so tests should see it.

Other Telegram behaviour reproduced on purpose: ``editMessageText`` without ``reply_markup`` removes
the inline keyboard; editing to identical content gives 400 "Bad Request: message is not modified:
..."; a callback query can be answered once; ``getUpdates`` while a webhook is set gives 409; a
second ``getUpdates`` while one is waiting makes the first answer 409 "Conflict: terminated by other
getUpdates request; ...". That happens once, by design, whenever PTB stops polling (the cancelled
long poll is superseded by the final offset-confirming call). Such 409s are kept in ``conflicts``;
one whose client had already hung up (PTB's stop) has ``expected=True`` and is *not* put in
``errors``; one delivered to a live client (two bot instances polling) is put in both.

Test-side API (all thread-safe)
    inject_message / inject_sticker / inject_photo / inject_edited_message / inject_channel_post /
    inject_update / inject_my_chat_member / press_button / register_chat
                                                          -> queue updates, make chats known
    delete_user_message / block / migrate_chat            -> what users and Telegram do to chats
    left_chats                                            -> leaveChat calls
    wait_for_message / wait_for_edit / wait_for_call / wait_for_poll   -> blocking, see above
    sent_messages, edits, deleted_messages, calls, errors, unexpected_errors, conflicts,
    confirmed_offset, last_update_id, pending_updates, polls_waiting, message(), commands()
    fail / delay / drop_connection / clear_faults / revoke             -> fault injection
The ``wait_for_*`` record waits are FIFO per ``consumer`` (keyword, default "default"): each
returns the oldest matching record that consumer has not been given yet, including records
that arrived before the call.

Modules: api (FakeTelegram: lifecycle, request processing), state (shared state and helpers),
server (HTTP), params (request parameters), records (calls, messages, errors), entities (HTML),
text (parse mode, trimming, limits); the test side in inject, chats, observe, faults; the Bot API
methods in updates, messages, commands.
"""
from .api import FakeTelegram
from .entities import EntityParseError, parse_html, utf16_len
from .records import ApiError, Call, ConflictRecord, ErrorRecord, SentMessage
from .state import DEFAULT_TOKEN
from .text import MAX_MESSAGE_LENGTH, parse_text

__all__ = [
    "FakeTelegram",
    "SentMessage",
    "Call",
    "ErrorRecord",
    "ConflictRecord",
    "ApiError",
    "EntityParseError",
    "DEFAULT_TOKEN",
    "MAX_MESSAGE_LENGTH",
    "parse_text",
    "parse_html",
    "utf16_len",
]
