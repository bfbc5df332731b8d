package org.isos.server.http;

import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.Accounts;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What every route checks of a request — credentials, the JSON body and its fields, the path's id — each
 * failing with an {@link ApiException} whose message names what was wrong.
 */
final class RequestChecks {

    private static final Map<String, String> BEARER_CHALLENGE = Map.of("WWW-Authenticate", "Bearer realm=\"isos\"");
    private static final Map<String, String> INVALID_TOKEN = Map.of("WWW-Authenticate",
            "Bearer realm=\"isos\", error=\"invalid_token\"");

    private RequestChecks() {
    }

    static void noQuery(ApiRequest request) throws ApiException {
        if (!request.query().isEmpty()) {
            throw new ApiException(400, request.path() + " takes no query parameters");
        }
    }

    /** A service the routes need; absent only where a test built the routes without it. */
    static <S> S service(S service) throws ApiException {
        if (service == null) {
            throw new ApiException(503, "this server does not offer that service");
        }
        return service;
    }

    static String requiredText(JsonNode node, String field, String name) throws ApiException {
        JsonNode value = node.get(field);
        if (value == null) {
            throw new ApiException(400, "missing field '" + name + "'");
        }
        if (!value.isTextual()) {
            throw new ApiException(400, "field '" + name + "' must be a string, not " + typeOf(value));
        }
        return value.textValue();
    }

    static String optionalText(JsonNode node, String field, String name) throws ApiException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new ApiException(400, "field '" + name + "' must be a string, not " + typeOf(value));
        }
        return value.textValue();
    }

    /** A whole number field of at least {@code min}. */
    static long wholeNumber(JsonNode node, String field, String name, boolean required, long min)
            throws ApiException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull() && !required) {
            if (required) {
                throw new ApiException(400, "missing field '" + name + "'");
            }
            return min;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < min) {
            throw new ApiException(400, "field '" + name + "' must be a whole number >= " + min + ", not "
                    + (value.isNumber() ? value.asText() : typeOf(value)));
        }
        return value.longValue();
    }

    static java.time.Instant instant(JsonNode node, String field, String name) throws ApiException {
        String text = requiredText(node, field, name);
        try {
            return java.time.Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            throw new ApiException(400, "field '" + name + "' must be an ISO-8601 instant (e.g. 2026-01-01T00:00:00Z), not "
                    + quoted(text));
        }
    }

    static Account authenticate(Accounts accounts, ApiRequest request) throws Exception {
        Optional<Account> account = accounts.authenticate(bearer(request));
        if (account.isEmpty()) {
            throw new ApiException(401, "invalid or revoked token", INVALID_TOKEN);
        }
        return account.get();
    }

    static String bearer(ApiRequest request) throws ApiException {
        String header = request.authorization();
        if (header == null || header.isBlank()) {
            throw new ApiException(401, "missing Authorization header: send 'Authorization: Bearer <token>'",
                    BEARER_CHALLENGE);
        }
        String[] parts = header.strip().split(" +", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer") || parts[1].isBlank()) {
            throw new ApiException(401, "Authorization header must be 'Bearer <token>'", BEARER_CHALLENGE);
        }
        return parts[1].strip();
    }

    /**
     * The body as a JSON object with no fields but {@code allowed}; with {@code required} false an empty
     * body is an empty object.
     */
    static ObjectNode jsonObject(ApiRequest request, boolean required, String... allowed)
            throws ApiException {
        if (request.body().length == 0 && !required) {
            return Json.object();
        }
        checkContentType(request.contentType());
        if (request.body().length == 0) {
            throw new ApiException(400, "request body is empty: expected a JSON object");
        }
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(request.body());
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String what = e.getOriginalMessage() == null ? "" : ": " + jacksonMessage(e.getOriginalMessage());
            throw new ApiException(400, "malformed JSON" + where + what);
        } catch (java.io.IOException e) {
            throw new ApiException(400, "malformed JSON: " + firstLine(String.valueOf(e.getMessage())));
        }
        if (tree == null || tree.isMissingNode()) {
            throw new ApiException(400, "request body is empty: expected a JSON object");
        }
        if (!tree.isObject()) {
            throw new ApiException(400, "request body must be a JSON object, not " + typeOf(tree));
        }
        List<String> known = List.of(allowed);
        for (Iterator<String> names = tree.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new ApiException(400, "unknown field " + quoted(name)
                        + (known.isEmpty() ? ": this request takes none" : " (allowed: " + String.join(", ", known) + ")"));
            }
        }
        return (ObjectNode) tree;
    }

    static void checkContentType(String contentType) throws ApiException {
        if (contentType == null || contentType.isBlank()) {
            throw new ApiException(415, "missing Content-Type: send application/json");
        }
        String[] parts = contentType.split(";");
        String media = parts[0].strip().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json")) {
            throw new ApiException(415, "Content-Type must be application/json, not " + quoted(media));
        }
        for (int i = 1; i < parts.length; i++) {
            String[] parameter = parts[i].split("=", 2);
            if (parameter[0].strip().equalsIgnoreCase("charset") && parameter.length == 2
                    && !parameter[1].strip().replace("\"", "").equalsIgnoreCase("utf-8")) {
                throw new ApiException(415, "JSON must be UTF-8, not charset " + quoted(parameter[1].strip()));
            }
        }
    }

    static String requiredString(ObjectNode body, String field) throws ApiException {
        JsonNode value = body.get(field);
        if (value == null) {
            throw new ApiException(400, "missing field '" + field + "'");
        }
        if (!value.isTextual()) {
            throw new ApiException(400, "field '" + field + "' must be a string, not " + typeOf(value));
        }
        return value.textValue();
    }

    static String typeOf(JsonNode node) {
        JsonNodeType type = node.getNodeType();
        return switch (type) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case STRING -> "a string";
            default -> type.name().toLowerCase(Locale.ROOT);
        };
    }

    /** A value quoted for a message, cut short and without control characters. */
    static String quoted(String value) {
        String cut = value.length() > 40 ? value.substring(0, 40) + "…" : value;
        return "\"" + cut.replaceAll("\\p{Cntrl}", "?") + "\"";
    }

    /** Jackson's message without its class names and source notes. */
    static String jacksonMessage(String message) {
        if (message.startsWith("Trailing token")) {
            return "more content after the JSON value";
        }
        return firstLine(message).replaceAll("\\[Source: [^;\\]]*; ", "[");
    }

    static String firstLine(String message) {
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    static String pathId(Pattern pattern, ApiRequest request) throws ApiException {
        Matcher path = pattern.matcher(request.path());
        if (!path.matches()) {
            throw new ApiException(404, "no route " + request.path());
        }
        return path.group(1);
    }
}
