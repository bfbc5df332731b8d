package org.isos.server.http;

import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The API's JSON: one strict, thread-safe mapper, and the error body every refusal shares. */
final class Json {

    /**
     * Strict: duplicate keys and anything after the value are errors; nesting and numbers are bounded
     * (request bodies are small objects).
     */
    static final ObjectMapper MAPPER = JsonMapper.builder(new JsonFactoryBuilder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxNumberLength(100).build())
            .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static ApiResponse ok(int status, ObjectNode body) {
        return new ApiResponse(status, ApiResponse.JSON, bytes(body), Map.of(), false);
    }

    /** {@code {"error": message, "status": status}}. */
    static ApiResponse error(int status, String message, Map<String, String> headers) {
        ObjectNode body = object().put("error", message).put("status", status);
        return new ApiResponse(status, ApiResponse.JSON, bytes(body), headers, false);
    }

    static ApiResponse error(ApiException e) {
        return error(e.status(), e.getMessage(), e.headers());
    }

    private static byte[] bytes(ObjectNode body) {
        try {
            return MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always serializes", e);
        }
    }
}
