package org.isos.server.accounts;

/**
 * The accounts service will not do what was asked; the message says why in words a caller can show
 * as is (an HTTP API answers it with a 4xx): an invalid name or kind, an unknown account.
 */
public class AccountRefused extends Exception {

    private static final long serialVersionUID = 1L;

    public AccountRefused(String message) {
        super(message);
    }
}
