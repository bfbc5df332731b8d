package org.isos.kernel.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The receiving end of a stream on the wire (STREAM_OPEN, STREAM_DATA…, STREAM_END): the chunks
 * arrive on a network thread and are read on the receiver's own thread.
 */
public class ChunkedStream extends InputStream {

    private static final byte[] END = new byte[0];
    private static final byte[] BROKEN = new byte[0];

    private final BlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
    private byte[] current = new byte[0];
    private int position;
    private boolean finished;

    /** A chunk arrived (network side). */
    public void offer(byte[] chunk) {
        chunks.add(chunk);
    }

    /** STREAM_END arrived: readers see the end after the last chunk. */
    public void end() {
        chunks.add(END);
    }

    /** The connection closed before STREAM_END: readers get an IOException after the last chunk. */
    public void broken() {
        chunks.add(BROKEN);
    }

    /** Chunks waiting to be read, for flow control. */
    protected int backlog() {
        return chunks.size();
    }

    /** Called after each chunk the reader takes; a subclass resumes a paused connection here. */
    protected void taken() {
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (position == current.length) {
            if (finished) {
                return -1;
            }
            try {
                current = chunks.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading a stream");
            }
            position = 0;
            taken();
            if (current == END) {
                finished = true;
            } else if (current == BROKEN) {
                finished = true;
                throw new IOException("the connection closed before the stream ended");
            }
        }
        int n = Math.min(len, current.length - position);
        System.arraycopy(current, position, b, off, n);
        position += n;
        return n;
    }
}
