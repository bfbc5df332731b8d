package org.isos.apps.example;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.isos.kernel.api.Allocation;
import org.isos.kernel.api.BlobStore;
import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Peer;
import org.isos.kernel.api.QuotaExceededException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The example app on a host: clients (the buyer's programs, through the kernel transport) send one-line text
 * commands and get one-line answers; notes live in the lease's quota'd store, so they survive the app's restart and
 * a hot-swap of its bundle, and go with the lease.
 *
 * <pre>
 * PUT key text   → OK              GET key   → VALUE text | MISSING
 * DEL key        → OK | MISSING    LIST pfx  → KEYS k1 k2 …
 * HOST           → HOST id used/quota (bytes)
 * </pre>
 *
 * Anything else, or a store over its quota, is answered {@code ERROR why}. Keys are 1–100 characters of
 * {@code A-Z a-z 0-9 . _ -}.
 */
@Component(immediate = true, service = {})
public class Notebook implements Communication.MessageListener {

    static final String KEY_PREFIX = "note/";

    private final BlobStore store;
    private final Communication communication;

    /** The kernel hands each leased app its own instances of these (bundle-scoped services). */
    @Activate
    public Notebook(@Reference Allocation allocation, @Reference Communication communication) {
        this.store = allocation.store();
        this.communication = communication;
        communication.listen(this);
    }

    @Override
    public void received(Peer from, byte[] message) {
        String answer;
        try {
            answer = answer(new String(message, StandardCharsets.UTF_8).strip());
        } catch (RuntimeException e) { // the store's failures among them: the client should hear of it
            answer = "ERROR " + e.getMessage();
        }
        communication.send(from, answer.getBytes(StandardCharsets.UTF_8));
    }

    /** One command's answer. */
    String answer(String line) {
        String[] words = line.split(" ", 3);
        String command = words[0];
        switch (command) {
            case "PUT" -> {
                if (words.length < 3) {
                    return "ERROR usage: PUT key text";
                }
                String key = key(words[1]);
                try {
                    store.put(KEY_PREFIX + key, words[2].getBytes(StandardCharsets.UTF_8));
                    return "OK";
                } catch (QuotaExceededException e) {
                    return "ERROR the lease's store is full: " + e.getMessage();
                }
            }
            case "GET" -> {
                Optional<byte[]> note = store.get(KEY_PREFIX + key(one(words, "GET key")));
                return note.map(b -> "VALUE " + new String(b, StandardCharsets.UTF_8)).orElse("MISSING");
            }
            case "DEL" -> {
                return store.delete(KEY_PREFIX + key(one(words, "DEL key"))) ? "OK" : "MISSING";
            }
            case "LIST" -> {
                String prefix = words.length > 1 ? words[1] : "";
                StringBuilder keys = new StringBuilder("KEYS");
                for (String k : store.list(KEY_PREFIX + prefix)) {
                    keys.append(' ').append(k.substring(KEY_PREFIX.length()));
                }
                return keys.toString();
            }
            case "HOST" -> {
                return "HOST " + communication.hostId() + " " + store.usedBytes() + "/" + store.quotaBytes();
            }
            default -> {
                return "ERROR unknown command '" + (command.length() > 20 ? command.substring(0, 20) : command)
                        + "' (PUT, GET, DEL, LIST, HOST)";
            }
        }
    }

    private static String one(String[] words, String usage) {
        if (words.length != 2) {
            throw new IllegalArgumentException("usage: " + usage);
        }
        return words[1];
    }

    private static String key(String key) {
        if (!key.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new IllegalArgumentException("a key is 1-100 of A-Z a-z 0-9 . _ -, not '"
                    + (key.length() > 20 ? key.substring(0, 20) + "..." : key) + "'");
        }
        return key;
    }
}
