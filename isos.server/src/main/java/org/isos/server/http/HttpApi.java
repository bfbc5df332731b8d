package org.isos.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.isos.server.accounts.Accounts;
import org.isos.server.accounts.Signup;
import org.isos.server.bank.Bank;
import org.isos.server.bank.LedgerSeries;
import org.isos.server.directives.HostDirectives;
import org.isos.server.hosts.Hosts;
import org.isos.server.jobs.Jobs;
import org.isos.server.leases.Leases;
import org.isos.server.repository.Repository;
import org.isos.server.titles.Titles;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.ca.CertificateRefused;
import org.isos.server.ca.TlsCredentials;
import org.isos.server.internal.ServerHome;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * The server's HTTPS JSON API on Netty. One pipeline per connection, as in Netty's examples: TLS (the
 * CA's server credentials) → HTTP codec → aggregator with the request size limit → {@link ApiCodec} →
 * {@link ApiHandler}, which hands each request to a worker pool, so the event loops never wait on the
 * store. The bound address is logged and written to {@code <data directory>/server.url}.
 */
@Component(service = HttpApi.class, immediate = true, configurationPid = HttpConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = HttpConfig.class)
public class HttpApi implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(HttpApi.class.getName());
    /** How often the TLS credentials are looked at; the CA renews them when a third of their life is left. */
    private static final long TLS_CHECK_HOURS = 6;

    private final CertificateAuthority ca;
    private final List<String> tlsNames;
    private final NativeTransport transport;
    private final ThreadPoolExecutor workers;
    private final EventLoopGroup loops;
    private final Channel server;
    private final Path urlFile;
    private final URI uri;
    private final ApiRoutes routes;
    private final ScheduledFuture<?> tlsCheck;
    private volatile SslContext tls;
    private volatile List<X509Certificate> tlsChain;

    /** Without the job service (tests of the other parts): its routes answer 503. */
    public HttpApi(HttpConfig config, ServerHome home, CertificateAuthority ca, Accounts accounts, Hosts hosts,
            Repository repository, Leases leases, Bank bank)
            throws IOException, CertificateRefused, SQLException, InterruptedException {
        this(config, home, ca, accounts, hosts, repository, leases, bank, null);
    }

    /**
     * Without the owners' directives, the ledger series, the title registry and signup control (tests of the other
     * parts; tests of those pass null for what they do not need to the full constructor).
     */
    public HttpApi(HttpConfig config, ServerHome home, CertificateAuthority ca, Accounts accounts, Hosts hosts,
            Repository repository, Leases leases, Bank bank, Jobs jobs)
            throws IOException, CertificateRefused, SQLException, InterruptedException {
        this(config, home, ca, accounts, hosts, repository, leases, bank, jobs, null, null, null, null);
    }

    @Activate
    public HttpApi(HttpConfig config, @Reference ServerHome home, @Reference CertificateAuthority ca,
            @Reference Accounts accounts, @Reference Hosts hosts, @Reference Repository repository,
            @Reference Leases leases, @Reference Bank bank, @Reference Jobs jobs,
            @Reference HostDirectives directives, @Reference LedgerSeries series, @Reference Titles titles,
            @Reference Signup signup)
            throws IOException, CertificateRefused, SQLException, InterruptedException {
        check(config);
        // launch defaults (./isos server --port/--host) where the configuration keeps the defaults
        String launchedHost = home.launchProperty("isos.server.host");
        String launchedPort = home.launchProperty("isos.server.port");
        String bindHost = config.host().equals("127.0.0.1") && launchedHost != null ? launchedHost : config.host();
        int bindPort = config.port() == 0 && launchedPort != null ? launchPort(launchedPort) : config.port();
        this.ca = ca;
        this.tlsNames = tlsNames(config, bindHost);
        this.transport = NativeTransport.choose(config.nativeTransport());
        refreshTls();
        this.routes = new ApiRoutes(accounts, hosts, ca.rootPem(), openApi(), config.heartbeatSeconds(), ca, repository,
                leases, bank, jobs, directives, series, titles, signup);
        this.workers = new ThreadPoolExecutor(config.workerThreads(), config.workerThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.maxQueuedRequests()), threads("isos-http-worker"));
        this.loops = new MultiThreadIoEventLoopGroup(config.ioThreads(), threads("isos-http-io"), transport.io());
        boolean bound = false;
        try {
            ServerBootstrap bootstrap = new ServerBootstrap().group(loops).channel(transport.channel())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()))
                                    .addLast("idle", new IdleStateHandler(0, 0, config.idleTimeoutSeconds()))
                                    .addLast("http", new HttpServerCodec())
                                    .addLast("body-limit", new BodyLimit(config.maxRequestBytes()))
                                    .addLast(BodyLimit.AGGREGATOR, new LimitedAggregator(config.maxRequestBytes()))
                                    .addLast("api-codec", new ApiCodec())
                                    .addLast("api", new ApiHandler(routes, workers));
                        }
                    });
            this.server = bootstrap.bind(bindHost, bindPort).sync().channel();
            this.uri = uriOf(localAddress());
            this.urlFile = home.dataDirectory().resolve("server.url");
            Path temporary = urlFile.resolveSibling("server.url.tmp");
            Files.writeString(temporary, uri + "\n", StandardCharsets.US_ASCII);
            Files.move(temporary, urlFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            this.tlsCheck = loops.next().scheduleAtFixedRate(() -> workers.execute(this::refreshTlsQuietly),
                    TLS_CHECK_HOURS, TLS_CHECK_HOURS, TimeUnit.HOURS);
            bound = true;
            LOG.info("ISOS HTTP API listening on " + uri + " (port " + port() + ")");
            LOG.info("ISOS web console on " + uri.resolve(ConsoleRoutes.ROOT) + " (log in with an account's API token)");
        } finally {
            if (!bound) {
                loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                workers.shutdownNow();
            }
        }
    }

    /** The address the API listens on (the bound port when the configured one was 0). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    public int port() {
        return localAddress().getPort();
    }

    /** {@code https://<host>:<port>/}; a wildcard host is given as the loopback address. */
    public URI uri() {
        return uri;
    }

    /** The method → path table the API serves. */
    public java.util.Map<String, List<String>> routes() {
        return routes.table();
    }

    @Deactivate
    @Override
    public void close() {
        tlsCheck.cancel(false);
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdown();
        try {
            if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(urlFile);
        } catch (IOException e) {
            LOG.log(Level.FINE, "could not delete " + urlFile, e);
        }
    }

    // ------------------------------------------------------------------ TLS

    /** Asks the CA for the credentials; a new chain (renewed) means a new context for new connections. */
    private synchronized void refreshTls() throws CertificateRefused, SQLException, IOException {
        TlsCredentials credentials = ca.serverCredentials(tlsNames);
        if (credentials.chain().equals(tlsChain)) {
            return;
        }
        tls = SslContextBuilder.forServer(credentials.key(), credentials.chain().toArray(X509Certificate[]::new))
                .sslProvider(transport.tls()).protocols("TLSv1.3", "TLSv1.2")
                // agents present their host certificates (heartbeats); everyone else may present none
                .trustManager(ca.root()).clientAuth(ClientAuth.OPTIONAL).build();
        if (tlsChain != null) {
            LOG.info("ISOS HTTP API uses a renewed TLS certificate, serial "
                    + credentials.chain().get(0).getSerialNumber().toString(16));
        }
        tlsChain = credentials.chain();
    }

    private void refreshTlsQuietly() {
        try {
            refreshTls();
        } catch (Exception | Error e) {
            LOG.log(Level.SEVERE, "could not renew the HTTP API's TLS credentials", e);
        }
    }

    static List<String> tlsNames(HttpConfig config) {
        return tlsNames(config, config.host());
    }

    static List<String> tlsNames(HttpConfig config, String bindHost) {
        List<String> names = new ArrayList<>();
        for (String name : config.tlsNames()) {
            if (!name.isBlank() && !names.contains(name.strip())) {
                names.add(name.strip());
            }
        }
        if (!names.isEmpty()) {
            return List.copyOf(names);
        }
        names.addAll(List.of("localhost", "127.0.0.1", "::1"));
        String host = bindHost.strip();
        if (!host.isEmpty() && !names.contains(host) && !isWildcard(host)) {
            names.add(host);
        }
        return List.copyOf(names);
    }

    // ------------------------------------------------------------------ helpers

    private static void check(HttpConfig config) {
        List<String> wrong = new ArrayList<>();
        if (config.port() < 0 || config.port() > 65535) {
            wrong.add("port " + config.port() + " is not 0 to 65535");
        }
        for (String[] attribute : new String[][] { { "maxRequestBytes", "" + config.maxRequestBytes() },
                { "workerThreads", "" + config.workerThreads() }, { "maxQueuedRequests", "" + config.maxQueuedRequests() },
                { "ioThreads", "" + config.ioThreads() }, { "idleTimeoutSeconds", "" + config.idleTimeoutSeconds() },
                { "heartbeatSeconds", "" + config.heartbeatSeconds() } }) {
            if (Integer.parseInt(attribute[1]) < 1) {
                wrong.add(attribute[0] + " must be at least 1, not " + attribute[1]);
            }
        }
        if (!wrong.isEmpty()) {
            throw new IllegalArgumentException(HttpConfig.PID + ": " + String.join("; ", wrong));
        }
    }

    private static int launchPort(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("isos.server.port " + value + " is not 0 to 65535");
    }

    private static boolean isWildcard(String host) {
        try {
            return InetAddress.getByName(host).isAnyLocalAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static URI uriOf(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        String host;
        if (ip.isAnyLocalAddress()) {
            host = "127.0.0.1";
        } else if (ip instanceof java.net.Inet6Address) {
            host = "[" + ip.getHostAddress().replaceAll("%.*$", "") + "]";
        } else {
            host = ip.getHostAddress();
        }
        return URI.create("https://" + host + ":" + address.getPort() + "/");
    }

    private static byte[] openApi() throws IOException {
        try (InputStream in = HttpApi.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IOException("the bundle lacks org/isos/server/http/openapi.json");
            }
            return in.readAllBytes();
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public String toString() {
        return "HttpApi[" + uri + ", " + Arrays.toString(tlsNames.toArray()) + "]";
    }
}
