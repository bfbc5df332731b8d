package org.isos.server.http;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The HTTPS JSON API (PID {@value #PID}). */
@ObjectClassDefinition(id = HttpConfig.PID, name = "ISOS HTTP API",
        description = "The server's HTTPS JSON API for buyers, owners and (later) agents")
public @interface HttpConfig {

    String PID = "org.isos.server.http";

    @AttributeDefinition(description = "Address to listen on; 0.0.0.0 or :: for every interface")
    String host() default "127.0.0.1";

    @AttributeDefinition(description = "TCP port; 0 picks a free one (the bound port is logged and written "
            + "to <data directory>/server.url)", min = "0", max = "65535")
    int port() default 0;

    @AttributeDefinition(description = "Largest request body accepted, in bytes; larger ones get 413 (bundle "
            + "uploads, POST /v1/bundles, may be up to 64 MiB)", min = "1")
    int maxRequestBytes() default 1024 * 1024;

    @AttributeDefinition(description = "Threads that do the requests' store work (never the event loops)", min = "1")
    int workerThreads() default 8;

    @AttributeDefinition(description = "Requests waiting for a worker before new ones get 503", min = "1")
    int maxQueuedRequests() default 10_000;

    @AttributeDefinition(description = "Netty event loop threads (TLS, HTTP codec)", min = "1")
    int ioThreads() default 2;

    @AttributeDefinition(description = "Seconds a connection may stay idle before it is closed", min = "1")
    int idleTimeoutSeconds() default 60;

    @AttributeDefinition(description = "Seconds until an agent's next heartbeat (nextHeartbeatSeconds in "
            + "heartbeat answers)", min = "1")
    int heartbeatSeconds() default 30;

    @AttributeDefinition(description = "Milliseconds between the store writes of batched heartbeats (each host's "
            + "last heartbeat time and changed description; a changed status or policy is written at once); at most "
            + "a quarter of 3 heartbeat periods; 0 writes every heartbeat's row in its own commit", min = "0")
    int heartbeatFlushMillis() default 1000;

    @AttributeDefinition(description = "TLS in BoringSSL and sockets on epoll when this platform's native libraries "
            + "load (the distribution carries them for Linux x86-64); false, or where they do not load: the JDK's TLS "
            + "and NIO")
    boolean nativeTransport() default true;

    @AttributeDefinition(description = "Names and addresses in the server's TLS certificate; empty means "
            + "localhost, 127.0.0.1, ::1 and host when it is a specific address")
    String[] tlsNames() default {};
}
