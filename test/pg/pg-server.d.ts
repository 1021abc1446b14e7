export declare const PG_BIN: string;
/** Null when a server can be started; else why not. */
export declare function pgUnavailable(): string | null;
/** For describe.skipIf: skip (printing why) locally, fail under CI where the binaries must be there. */
export declare function skipWithoutPg(): boolean;
export declare class PgServer {
    /** The temp dir: data in data/, the socket (.s.PGSQL.5432) in the dir itself. */
    readonly dir: string;
    private readonly asPostgres;
    private stopped;
    private dbCount;
    private constructor();
    static start(): PgServer;
    get dataDir(): string;
    private run;
    /** Starts (or starts again) the server; returns once it accepts connections. */
    startServer(): void;
    /** Stops the server at once (as a crash or a network loss would look to a client). */
    stopServer(): void;
    /** A libpq URL in the Unix-socket form (the one `OJ_DATABASE_URL` documents). */
    url(database: string): string;
    /** Creates a fresh database and returns its URL. */
    createDatabase(prefix?: string): Promise<string>;
    stop(): void;
}
//# sourceMappingURL=pg-server.d.ts.map