package org.isos.server.ca.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The certificate authority (PID {@value #PID}). */
@ObjectClassDefinition(id = CaConfig.PID, name = "ISOS certificate authority",
        description = "Root key store and lifetimes of the certificates the ISOS CA issues")
public @interface CaConfig {

    String PID = "org.isos.server.ca";

    @AttributeDefinition(description = "Password of the CA's PKCS#12 key stores (root key, server TLS key) "
            + "in <data directory>/ca", type = AttributeType.PASSWORD)
    String keyStorePassword() default "isos-ca-secret";

    @AttributeDefinition(description = "Common name of the root certificate made on first start")
    String rootCommonName() default "ISOS Root CA";

    @AttributeDefinition(description = "Days the root certificate is valid", min = "1")
    int rootValidityDays() default 3650;

    @AttributeDefinition(description = "Days a host certificate is valid", min = "1")
    int hostValidityDays() default 365;

    @AttributeDefinition(description = "Days a buyer's code-signing certificate is valid", min = "1")
    int buyerValidityDays() default 365;

    @AttributeDefinition(description = "Days the server's TLS certificate is valid", min = "1")
    int serverValidityDays() default 90;

    @AttributeDefinition(description = "How often (milliseconds) the in-memory list of revoked certificates is read "
            + "again from the store: how soon this instance refuses a certificate that another server instance over "
            + "the same database revoked (its own revocations count at once)", min = "1")
    int revocationRefreshMillis() default 2000;
}
