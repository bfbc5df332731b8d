package org.isos.server.accounts;

/** Account creation or an invitation is not allowed to this caller (an HTTP API answers 403); the message says why. */
public class SignupRefused extends Exception {

    private static final long serialVersionUID = 1L;

    public SignupRefused(String message) {
        super(message);
    }
}
