package org.isos.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every verb shares: its output streams and how JSON and lease fields are shown. */
abstract class Verb implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** The server's answer as is, indented: what {@code --json} prints for scripts. */
    void printJson(JsonNode node) {
        try {
            out().println(ServerConnection.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree always serializes", e);
        }
        out().flush();
    }

    /** A text field, or null when absent or null. */
    static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** Micro-credits field as credits, or null. */
    static String credits(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || !v.canConvertToLong() ? null : Quantities.credits(v.asLong());
    }

    /** The verb's name as the user typed it, e.g. {@code isos accounts create}. */
    String name() {
        return spec.qualifiedName();
    }

    void progress(String line) {
        err().println(name() + ": " + line);
        err().flush();
    }
}
