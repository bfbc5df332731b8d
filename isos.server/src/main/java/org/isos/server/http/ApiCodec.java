package org.isos.server.http;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLPeerUnverifiedException;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.SslHandler;

/**
 * Between Netty's aggregated HTTP messages and the API's own: inbound, a {@link FullHttpRequest} becomes
 * an {@link ApiRequest} (bytes copied, so the message can be released on the event loop); outbound, an
 * {@link ApiResponse} becomes a {@link FullHttpResponse} with its length, type and connection headers.
 */
final class ApiCodec extends MessageToMessageCodec<FullHttpRequest, ApiResponse> {

    @Override
    protected void decode(ChannelHandlerContext ctx, FullHttpRequest msg, List<Object> out) {
        DecoderResult result = msg.decoderResult();
        if (result.isFailure()) {
            out.add(new ApiRequest(msg.method().name(), "", null, null, new byte[0], false, failure(result.cause())));
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(msg.uri());
        out.add(new ApiRequest(msg.method().name(), uri.rawPath(),
                msg.headers().get(HttpHeaderNames.CONTENT_TYPE), msg.headers().get(HttpHeaderNames.AUTHORIZATION),
                ByteBufUtil.getBytes(msg.content()), HttpUtil.isKeepAlive(msg), null, clientCertificate(ctx),
                uri.parameters()));
    }

    /** The TLS peer's certificate when it presented one (the server asks, optionally); else null. */
    static X509Certificate clientCertificate(ChannelHandlerContext ctx) {
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls == null) {
            return null;
        }
        try {
            Certificate[] chain = tls.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, ApiResponse msg, List<Object> out) {
        out.add(toHttp(msg));
    }

    static FullHttpResponse toHttp(ApiResponse msg) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(msg.status()), Unpooled.wrappedBuffer(msg.body()));
        if (msg.contentType() != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, msg.contentType());
        }
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set("X-Content-Type-Options", "nosniff");
        for (Map.Entry<String, String> header : msg.headers().entrySet()) {
            response.headers().set(header.getKey(), header.getValue());
        }
        HttpUtil.setContentLength(response, msg.body().length);
        if (msg.close()) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /** What to answer a request the HTTP decoder could not read (the connection is closed after). */
    private static ApiException failure(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return new ApiException(414, "the request line is too long");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new ApiException(431, "the request headers are too large");
        }
        if (cause instanceof TooLongFrameException) {
            return new ApiException(400, "a part of the request is too long: " + cause.getMessage());
        }
        String detail = cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage();
        return new ApiException(400, "malformed HTTP request" + detail);
    }
}
