package org.isos.apps.compute.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One message between a buyer's job runner and the compute app on a host: {@code RUN} a unit,
 * its {@code RESULT}, {@code FAILED} with a reason, or {@code FETCH} a result again (after a
 * reconnect). Encoded as an op byte, the unit id (modified UTF-8) and the payload.
 */
public record ComputeMessage(Op op, String unitId, byte[] payload) {

    public enum Op {
        RUN, RESULT, FAILED, FETCH
    }

    private static final Pattern UNIT_ID = Pattern.compile("[A-Za-z0-9._\\-]{1,64}");

    public ComputeMessage {
        Objects.requireNonNull(op, "op");
        if (unitId == null || !UNIT_ID.matcher(unitId).matches()) {
            throw new IllegalArgumentException("unit id '" + unitId + "' must be 1-64 characters of A-Z a-z 0-9 . _ -");
        }
        payload = payload == null ? new byte[0] : payload;
    }

    public static ComputeMessage run(String unitId, byte[] unit) {
        return new ComputeMessage(Op.RUN, unitId, unit);
    }

    public static ComputeMessage failed(String unitId, String reason) {
        return new ComputeMessage(Op.FAILED, unitId, reason.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public String reason() {
        return new String(payload, java.nio.charset.StandardCharsets.UTF_8);
    }

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(payload.length + 80);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(op.ordinal());
            out.writeUTF(unitId);
            out.write(payload);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code message} */
    public static ComputeMessage decode(byte[] message) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(message))) {
            int op = in.readUnsignedByte();
            if (op >= Op.values().length) {
                throw new IllegalArgumentException("unknown compute message op " + op);
            }
            String unitId = in.readUTF();
            return new ComputeMessage(Op.values()[op], unitId, in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated compute message of " + message.length + " bytes");
        }
    }
}
