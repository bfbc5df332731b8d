/** The ISOS compute app: workloads ({@code .work}), its host side ({@code .host}) and the protocol between buyer and hosts ({@code .protocol}). */
package org.isos.apps.compute;
