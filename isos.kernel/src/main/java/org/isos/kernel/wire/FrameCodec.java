package org.isos.kernel.wire;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.MessageToMessageCodec;

/** Frames to bytes and back; length framing is done before it by Netty's length-field codecs. */
public final class FrameCodec extends MessageToMessageCodec<ByteBuf, Frame> {

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        ByteBuf buf = ctx.alloc().buffer(64 + frame.payload().length);
        buf.writeByte(frame.type().ordinal());
        buf.writeLong(frame.streamId());
        writeText(buf, frame.buyer());
        writeText(buf, frame.app());
        writeText(buf, frame.text());
        buf.writeBytes(frame.payload());
        out.add(buf);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            Frame.Type type = Frame.Type.of(in.readUnsignedByte());
            long streamId = in.readLong();
            String buyer = readText(in);
            String app = readText(in);
            String text = readText(in);
            byte[] payload = new byte[in.readableBytes()];
            in.readBytes(payload);
            out.add(new Frame(type, streamId, buyer, app, text, payload));
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new CorruptedFrameException("malformed frame: " + e.getMessage(), e);
        }
    }

    private static void writeText(ByteBuf buf, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0xFFFF) {
            throw new IllegalArgumentException("frame text longer than 65535 bytes");
        }
        buf.writeShort(bytes.length);
        buf.writeBytes(bytes);
    }

    private static String readText(ByteBuf in) {
        int length = in.readUnsignedShort();
        if (length > in.readableBytes()) {
            throw new IllegalArgumentException("text length " + length + " beyond the frame");
        }
        return in.readCharSequence(length, StandardCharsets.UTF_8).toString();
    }
}
