package org.isos.server.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Netty's aggregator with the request size limit, answering an oversized request as the API answers
 * every refusal: a JSON 413. As in Netty's own: a request announced too large (Content-Length) on a
 * keep-alive connection gets the answer and its body is skipped; one found too large while its body
 * arrived, or not keep-alive, closes the connection after the answer.
 */
final class LimitedAggregator extends HttpObjectAggregator {

    private final int maxRequestBytes;

    LimitedAggregator(int maxRequestBytes) {
        super(maxRequestBytes);
        this.maxRequestBytes = maxRequestBytes;
    }

    int maxRequestBytes() {
        return maxRequestBytes;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        boolean close = oversized instanceof FullHttpMessage
                || !HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized);
        ApiResponse answer = Json.error(413, "request body larger than " + maxRequestBytes + " bytes",
                java.util.Map.of()).closing(close);
        ctx.writeAndFlush(ApiCodec.toHttp(answer)).addListener(close ? ChannelFutureListener.CLOSE
                : ChannelFutureListener.CLOSE_ON_FAILURE);
    }
}
