package org.isos.server.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Where the server keeps its state (PID {@value #PID}). */
@ObjectClassDefinition(id = ServerConfig.PID, name = "ISOS server",
        description = "The server instance's data directory: embedded database, CA key store, TLS credentials")
public @interface ServerConfig {

    String PID = "org.isos.server";

    @AttributeDefinition(description = "Directory for the embedded database, the CA key store and the server's "
            + "TLS credentials; empty means the server bundle's data area")
    String dataDirectory() default "";
}
