package org.isos.server.http;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.net.ssl.SSLException;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * One connection's requests: each is handed to the worker executor (store work never runs on the event
 * loop) and answered from its completion, in the order the requests came (HTTP/1.1 pipelining). A
 * connection with too many requests in flight stops reading until answers drain.
 */
final class ApiHandler extends SimpleChannelInboundHandler<ApiRequest> {

    private static final Logger LOG = Logger.getLogger(ApiHandler.class.getName());
    /** Pipelined requests one connection may have in flight before it is read no further. */
    static final int MAX_IN_FLIGHT = 16;

    private final ApiRoutes routes;
    private final Executor workers;
    /** Completes when the previous answer was written; touched only on this channel's event loop. */
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private int inFlight;

    ApiHandler(ApiRoutes routes, Executor workers) {
        this.routes = routes;
        this.workers = workers;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ApiRequest request) {
        if (request.failure() != null) {
            // the decoder has given up on this connection: answer and close, after what came before
            enqueue(ctx, CompletableFuture.completedFuture(Json.error(request.failure()).closing(true)), true);
            return;
        }
        CompletableFuture<ApiResponse> reply;
        try {
            reply = CompletableFuture.supplyAsync(() -> routes.handle(request), workers)
                    .exceptionally(routes::internalError);
        } catch (RejectedExecutionException e) {
            reply = CompletableFuture.completedFuture(
                    Json.error(503, "the server is busy: try again shortly", Map.of("Retry-After", "1")));
        }
        enqueue(ctx, reply, !request.keepAlive());
    }

    private void enqueue(ChannelHandlerContext ctx, CompletableFuture<ApiResponse> reply, boolean close) {
        if (++inFlight >= MAX_IN_FLIGHT) {
            ctx.channel().config().setAutoRead(false);
        }
        tail = tail.thenCombine(reply, (previous, response) -> response)
                .thenAcceptAsync(response -> write(ctx, response.closing(close || response.close())), ctx.executor())
                .exceptionally(failure -> {
                    // only when the event loop is gone: the channel is closed with it
                    LOG.log(Level.FINE, "could not write an answer", failure);
                    return null;
                });
    }

    private void write(ChannelHandlerContext ctx, ApiResponse response) {
        ChannelFuture written = ctx.writeAndFlush(response);
        written.addListener(done -> {
            if (--inFlight < MAX_IN_FLIGHT && !ctx.channel().config().isAutoRead()) {
                ctx.channel().config().setAutoRead(true);
            }
        });
        written.addListener(response.close() ? ChannelFutureListener.CLOSE : ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // clients that go away, fail the handshake or send garbage TLS are routine: not worth more than FINE
        Level level = cause instanceof IOException || cause instanceof DecoderException
                || cause instanceof SSLException ? Level.FINE : Level.WARNING;
        LOG.log(level, "closing connection from " + ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
