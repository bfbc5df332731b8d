package org.isos.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * Picks the request size limit per request, before the aggregator sees it: bundle uploads
 * ({@code POST /v1/bundles}, a jar) may be up to {@link #BUNDLE_BYTES}; every other request keeps the small
 * JSON limit. It swaps the pipeline's {@link LimitedAggregator} when the next request needs the other limit
 * (a request's start means the previous one is complete, so the aggregator holds nothing then).
 */
final class BodyLimit extends ChannelInboundHandlerAdapter {

    /** The most a bundle upload may carry: the repository's limit. */
    static final int BUNDLE_BYTES = (int) org.isos.server.repository.Repository.MAX_BUNDLE_BYTES;
    static final String AGGREGATOR = "aggregator";

    private final int jsonBytes;

    BodyLimit(int jsonBytes) {
        this.jsonBytes = jsonBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()) {
            boolean upload = HttpMethod.POST.equals(request.method())
                    && "/v1/bundles".equals(new QueryStringDecoder(request.uri()).rawPath());
            int limit = upload ? Math.max(BUNDLE_BYTES, jsonBytes) : jsonBytes;
            LimitedAggregator current = (LimitedAggregator) ctx.pipeline().get(AGGREGATOR);
            if (current != null && current.maxRequestBytes() != limit) {
                ctx.pipeline().replace(AGGREGATOR, AGGREGATOR, new LimitedAggregator(limit));
            }
        }
        ctx.fireChannelRead(msg);
    }
}
