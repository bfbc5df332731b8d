package org.isos.kernel.wire;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * An external client's session with one app on one host: what a backup client or a movie viewer
 * uses. Plain JDK TLS sockets and blocking calls, so tools outside OSGi need nothing but this class;
 * it speaks the same frames as {@link FrameCodec}, written independently of it.
 */
public final class ClientSession implements AutoCloseable {

    /** A stream the app opened towards this client. */
    public record IncomingStream(String channel, InputStream in) {
    }

    /** How long connecting and the TLS handshake may take before a host counts as unreachable. */
    static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private final SSLSocket socket;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final String sessionId;
    private final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    private final BlockingQueue<IncomingStream> streams = new LinkedBlockingQueue<>();
    private final Map<Long, ChunkedStream> open = new ConcurrentHashMap<>();

    private ClientSession(SSLSocket socket, String buyer, String app, String leaseId) throws IOException {
        this.socket = socket;
        // one TLS record per frame: unbuffered, every writeInt became a record of its own, and Nagle held
        // the small ones back (~40 ms a request)
        this.out = new DataOutputStream(new java.io.BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
        this.in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 64 * 1024));
        write(Frame.Type.HELLO, 0, buyer, app, leaseId == null ? "" : leaseId, new byte[0]);
        Frame welcome = read();
        if (welcome.type() != Frame.Type.WELCOME) {
            socket.close();
            throw new IOException("the kernel refused the session: " + welcome.text());
        }
        this.sessionId = welcome.text();
        Thread reader = new Thread(this::readLoop, "isos-client-" + sessionId);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Opens a session with app {@code app} of {@code buyer} on the host listening at {@code kernel},
     * whose certificate must chain to one of {@code trusted} (the ISOS CA).
     *
     * @param leaseId the lease to reach when the host runs the app under several; null for any
     */
    public static ClientSession open(InetSocketAddress kernel, Collection<X509Certificate> trusted, String buyer,
            String app, String leaseId) throws IOException {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (X509Certificate ca : trusted) {
                trust.setCertificateEntry("isos-ca-" + i++, ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(kernel, CONNECT_TIMEOUT_MILLIS);
                socket.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
                socket.startHandshake();
                socket.setSoTimeout(0);
                return new ClientSession(socket, buyer, app, leaseId);
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS to " + kernel + ": " + e.getMessage(), e);
        }
    }

    /**
     * A host's kernel transport address as the server lists it with a lease ({@code host:port}, or
     * {@code [v6]:port}), unresolved.
     *
     * @throws IllegalArgumentException when it is not {@code host:port} with a port of 1 to 65535
     * @since 1.1
     */
    public static InetSocketAddress transportAddress(String hostPort) {
        int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
        int port;
        try {
            port = colon > 0 ? Integer.parseInt(hostPort.substring(colon + 1)) : -1;
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("transport address '" + hostPort + "' is not host:port");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** The id the app sees this client as. */
    public String sessionId() {
        return sessionId;
    }

    public void send(byte[] message) throws IOException {
        write(Frame.Type.MESSAGE, 0, "", "", "", message);
    }

    /**
     * The next message from the app.
     *
     * @throws IOException when the kernel refused something (the message says what) or the session closed
     * @throws InterruptedIOException when nothing arrived within {@code timeout}
     */
    public byte[] receive(Duration timeout) throws IOException {
        Object next;
        try {
            next = messages.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the app");
        }
        if (next == null) {
            throw new InterruptedIOException("no message from the app within " + timeout.toMillis() + " ms");
        }
        if (next instanceof IOException e) {
            throw new IOException(e.getMessage(), e);
        }
        return (byte[]) next;
    }

    /** The next stream the app opened towards this client. */
    public IncomingStream acceptStream(Duration timeout) throws IOException {
        try {
            IncomingStream stream = streams.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (stream == null) {
                throw new InterruptedIOException("no stream from the app within " + timeout.toMillis() + " ms");
            }
            return stream;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a stream");
        }
    }

    private synchronized void write(Frame.Type type, long stream, String buyer, String app, String text,
            byte[] payload) throws IOException {
        byte[] b = buyer.getBytes(StandardCharsets.UTF_8);
        byte[] a = app.getBytes(StandardCharsets.UTF_8);
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(1 + 8 + 2 + b.length + 2 + a.length + 2 + t.length + payload.length);
        out.writeByte(type.ordinal());
        out.writeLong(stream);
        out.writeShort(b.length);
        out.write(b);
        out.writeShort(a.length);
        out.write(a);
        out.writeShort(t.length);
        out.write(t);
        out.write(payload);
        out.flush();
    }

    private Frame read() throws IOException {
        int length = in.readInt();
        if (length < 15 || length > Frame.MAX_FRAME_BYTES) {
            throw new IOException("frame of " + length + " bytes from the kernel: not the ISOS protocol");
        }
        byte[] body = new byte[length];
        in.readFully(body);
        DataInputStream f = new DataInputStream(new ByteArrayInputStream(body));
        Frame.Type type = Frame.Type.values()[Math.min(f.readUnsignedByte(), Frame.Type.values().length - 1)];
        long stream = f.readLong();
        String buyer = text(f);
        String app = text(f);
        String text = text(f);
        return new Frame(type, stream, buyer, app, text, f.readAllBytes());
    }

    private static String text(DataInputStream f) throws IOException {
        byte[] bytes = new byte[f.readUnsignedShort()];
        f.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private void readLoop() {
        try {
            while (true) {
                Frame frame = read();
                switch (frame.type()) {
                case MESSAGE -> messages.add(frame.payload());
                case ERROR -> messages.add(new IOException("the kernel refused: " + frame.text()));
                case STREAM_OPEN -> {
                    ChunkedStream stream = new ChunkedStream();
                    open.put(frame.streamId(), stream);
                    streams.add(new IncomingStream(frame.text(), stream));
                }
                case STREAM_DATA -> {
                    ChunkedStream stream = open.get(frame.streamId());
                    if (stream != null) {
                        stream.offer(frame.payload());
                    }
                }
                case STREAM_END -> {
                    ChunkedStream stream = open.remove(frame.streamId());
                    if (stream != null) {
                        stream.end();
                    }
                }
                default -> {
                    // HELLO/WELCOME after the start mean nothing to a client
                }
                }
            }
        } catch (IOException e) {
            messages.add(e instanceof EOFException ? new IOException("the kernel closed the session") : e);
            open.values().forEach(ChunkedStream::broken);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
