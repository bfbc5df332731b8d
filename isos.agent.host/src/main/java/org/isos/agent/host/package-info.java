/**
 * What the host agent offers other agent parts and tests: the host's description
 * ({@link org.isos.agent.host.HostSurvey}), the owner's policy in force and the owner-activity switch
 * ({@link org.isos.agent.host.OwnerActivity}), and the whiteboard for extra activity signals
 * ({@link org.isos.agent.host.ActivitySource}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.agent.host;
