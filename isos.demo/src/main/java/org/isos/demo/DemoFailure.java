package org.isos.demo;

/** A check of the demo that did not hold: the message says which and what was seen. */
final class DemoFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    DemoFailure(String message) {
        super(message);
    }
}
