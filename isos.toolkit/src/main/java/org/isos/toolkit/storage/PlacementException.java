package org.isos.toolkit.storage;

/** No placement satisfies the constraints; the message says what was needed and what there was. */
public class PlacementException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public PlacementException(String message) {
        super(message);
    }
}
