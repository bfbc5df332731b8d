package org.isos.apps.backup.host;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

import org.isos.apps.backup.protocol.FragmentMessage;
import org.isos.kernel.api.Allocation;
import org.isos.kernel.api.BlobStore;
import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Peer;
import org.isos.kernel.api.QuotaExceededException;
import org.isos.toolkit.storage.AuditChallenge;
import org.isos.toolkit.storage.StorageAudit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The backup app on a host: keeps the fragments the owner's backup client sends in the lease's quota'd store
 * (key {@code frag/<id>}), serves them back, answers storage audits on them and deletes them on request. It holds
 * only what it is given (ciphertext, erasure-coded, by the client) and decodes nothing.
 */
@Component(immediate = true, service = {})
public class FragmentHost implements Communication.MessageListener {

    static final String KEY_PREFIX = "frag/";

    private final BlobStore store;
    private final Communication communication;

    @Activate
    public FragmentHost(@Reference Allocation allocation, @Reference Communication communication) {
        this(allocation.store(), communication);
    }

    FragmentHost(BlobStore store, Communication communication) {
        this.store = store;
        this.communication = communication;
        communication.listen(this);
    }

    @Override
    public void received(Peer from, byte[] bytes) {
        FragmentMessage message;
        try {
            message = FragmentMessage.decode(bytes);
        } catch (IllegalArgumentException e) {
            reply(from, FragmentMessage.failed("", "unreadable request: " + e.getMessage()));
            return;
        }
        reply(from, handle(message));
    }

    /** The answer to one request. */
    FragmentMessage handle(FragmentMessage message) {
        String id = message.fragmentId();
        try {
            return switch (message.op()) {
            case PUT -> put(id, message.payload());
            case GET -> get(id);
            case AUDIT -> audit(id, message.payload());
            case DELETE -> {
                store.delete(key(id));
                yield new FragmentMessage(FragmentMessage.Op.DELETED, id, null);
            }
            default -> FragmentMessage.failed(id, "a host takes PUT, GET, AUDIT and DELETE, not " + message.op());
            };
        } catch (RuntimeException e) { // the store's I/O failures among them: the client should hear of it
            return FragmentMessage.failed(id, message.op() + " failed on this host: " + e);
        }
    }

    private FragmentMessage put(String id, byte[] fragment) {
        String actual = sha256Hex(fragment);
        if (!actual.equals(id)) {
            return FragmentMessage.failed(id, "fragment id " + id + " does not match the SHA-256 of its "
                    + fragment.length + " bytes (" + actual + "); not stored");
        }
        try {
            store.put(key(id), fragment);
        } catch (QuotaExceededException e) {
            return FragmentMessage.failed(id, e.getMessage());
        }
        return new FragmentMessage(FragmentMessage.Op.PUT_OK, id, null);
    }

    private FragmentMessage get(String id) {
        Optional<byte[]> fragment = store.get(key(id));
        if (fragment.isEmpty()) {
            return FragmentMessage.failed(id, "no fragment " + id + " on this host");
        }
        byte[] bytes = fragment.get();
        if (!sha256Hex(bytes).equals(id)) {
            // the store's copy went bad here: serve nothing rather than bytes the client must reject anyway
            return FragmentMessage.failed(id, "fragment " + id + " is corrupt on this host (its "
                    + bytes.length + " bytes no longer hash to its id)");
        }
        return new FragmentMessage(FragmentMessage.Op.DATA, id, bytes);
    }

    private FragmentMessage audit(String id, byte[] encodedChallenge) {
        AuditChallenge challenge;
        try {
            challenge = AuditChallenge.decode(encodedChallenge);
        } catch (IllegalArgumentException e) {
            return FragmentMessage.failed(id, "bad audit challenge: " + e.getMessage());
        }
        String challenged = HexFormat.of().formatHex(challenge.fragmentId());
        if (!challenged.equals(id)) {
            return FragmentMessage.failed(id, "the audit challenge is for fragment " + challenged + ", not " + id);
        }
        Optional<byte[]> fragment = store.get(key(id));
        if (fragment.isEmpty()) {
            return FragmentMessage.failed(id, "no fragment " + id + " on this host");
        }
        byte[] response;
        try {
            // answered from the bytes as stored: a fragment that went bad here fails the client's verification
            response = StorageAudit.respond(challenge, fragment.get());
        } catch (IllegalArgumentException e) {
            return FragmentMessage.failed(id, "cannot answer the audit: " + e.getMessage());
        }
        if (response.length > FragmentMessage.MAX_PAYLOAD_BYTES) {
            return FragmentMessage.failed(id, "the audit answer would be " + response.length
                    + " bytes, over the limit of " + FragmentMessage.MAX_PAYLOAD_BYTES + "; challenge fewer blocks");
        }
        return new FragmentMessage(FragmentMessage.Op.AUDIT_ANSWER, id, response);
    }

    private void reply(Peer to, FragmentMessage message) {
        communication.send(to, message.encode());
    }

    static String key(String id) {
        return KEY_PREFIX + id;
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
