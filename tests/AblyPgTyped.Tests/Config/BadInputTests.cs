using System;
using System.IO;
using AblyPgTyped.Config;
using AblyPgTyped.Publishing;
using Xunit;

namespace AblyPgTyped.Tests.Config;

/// <summary>
/// Every bad input is an <see cref="AblyConfigurationException"/> whose message names the file, the field and the
/// problem, and never contains the password or the API key secret.
/// </summary>
public sealed class BadInputTests
{
    private const string Password = "pa55-secret";
    private const string KeySecret = "k3y-secret";
    private const string Db = """{"host": "localhost", "port": 5432, "user": "postgres", "password": "pa55-secret", "database": "mydb"}""";
    private const string Entry = """{"tablename": "users", "ablychannelname": "ably-users-added", "operation": "INSERT"}""";
    private const string Ably = """{"apiKey": "app.key:k3y-secret"}""";
    private const string ConnectorExample = """e.g. [{"tablename": "users", "ablychannelname": "ably-users-added", "operation": "INSERT"}]""";

    public static TheoryData<string, string, string> JsonCases => new()
    {
        // name, content, expected message after "Config file '<path>'"
        { "empty", "  \n", """ is empty: expected the original's JSON, {"dbConfig": {…}, "connector": […], "ably": {"apiKey": …}}""" },
        { "malformed", "{\n  \"dbConfig\": {\n    \"host\": \"localhost\"\n    \"port\": 5432\n  }\n}", """ is not valid JSON: line 4, position 5: '"' is invalid after a value. Expected either ',', '}', or ']'.""" },
        { "root array", "[]", " must hold a JSON object with dbConfig, connector and ably, not an array" },
        { "no dbConfig", $$"""{"connector": [{{Entry}}], "ably": {{Ably}}}""", """: dbConfig is missing: the PostgreSQL connection, {"host", "port", "user", "password", "database"}""" },
        { "dbConfig string", Json(db: "\"postgres://u@h/db\""), ": dbConfig must be an object (the PostgreSQL connection: host, port, user, password, database), not a string" },
        { "port text", Json(db: Db.Replace("5432", "\"abc\"", StringComparison.Ordinal)), """: dbConfig.port "abc" is not a port number: use a whole number from 1 to 65535""" },
        { "port range", Json(db: Db.Replace("5432", "70000", StringComparison.Ordinal)), ": dbConfig.port 70000 is not a port number: use a whole number from 1 to 65535" },
        { "port type", Json(db: Db.Replace("5432", "true", StringComparison.Ordinal)), ": dbConfig.port must be a port number, not a boolean" },
        { "host empty", Json(db: Db.Replace("\"localhost\"", "\"\"", StringComparison.Ordinal)), ": dbConfig.host is empty: give the PostgreSQL server's host name, or leave it out for localhost" },
        { "host case", Json(db: Db.Replace("\"host\"", "\"Host\"", StringComparison.Ordinal)), """: dbConfig.Host is not a known key: keys are case-sensitive; write "host" """.TrimEnd() },
        { "no user", Json(db: Db.Replace("\"user\": \"postgres\", ", "", StringComparison.Ordinal)), ": dbConfig.user is missing: the PostgreSQL user name" },
        { "user type", Json(db: Db.Replace("\"postgres\"", "42", StringComparison.Ordinal)), ": dbConfig.user must be a string (the PostgreSQL user name), not a number" },
        { "password type", Json(db: Db.Replace("\"pa55-secret\"", "1234", StringComparison.Ordinal)), ": dbConfig.password must be a string (the PostgreSQL user's password), not a number" },
        { "database empty", Json(db: Db.Replace("\"mydb\"", "\" \"", StringComparison.Ordinal)), ": dbConfig.database is empty: the name of the database whose tables are captured" },
        { "connection string", Json(db: """{"connectionString": "postgres://u:pa55-secret@h/db"}"""), ": dbConfig.connectionString is not supported: give host, port, user, password and database instead" },
        { "ssl type", Json(db: Db.Replace("}", ", \"ssl\": \"require\"}", StringComparison.Ordinal)), """: dbConfig.ssl must be true, false or {"rejectUnauthorized": false}, not a string""" },
        { "no connector", $$"""{"dbConfig": {{Db}}, "ably": {{Ably}}}""", ": connector is missing: the tables to capture, " + ConnectorExample },
        { "connector object", Json(connector: Entry), """: connector must be an array of {"tablename", "ablychannelname", "operation"} objects, not an object""" },
        { "connector empty", Json(connector: "[]"), ": connector is empty: map at least one table, " + ConnectorExample },
        { "entry type", Json(connector: "[\"users\"]"), """: connector[0] must be an object ({"tablename", "ablychannelname", "operation"}), not a string""" },
        { "unknown operation", Json(connector: $"[{Entry}, {Entry.Replace("INSERT", "upsert", StringComparison.Ordinal)}]"), """: connector[1].operation "upsert" is not an operation: use INSERT, UPDATE or DELETE""" },
        { "truncate", Json(connector: $"[{Entry.Replace("INSERT", "TRUNCATE", StringComparison.Ordinal)}]"), """: connector[0].operation "TRUNCATE" is not an operation: use INSERT, UPDATE or DELETE""" },
        { "no operation", Json(connector: $"[{Entry.Replace(", \"operation\": \"INSERT\"", "", StringComparison.Ordinal)}]"), ": connector[0].operation is missing: INSERT, UPDATE or DELETE" },
        { "operation type", Json(connector: $"[{Entry.Replace("\"INSERT\"", "1", StringComparison.Ordinal)}]"), ": connector[0].operation must be a string (INSERT, UPDATE or DELETE), not a number" },
        { "empty channel", Json(connector: $"[{Entry.Replace("ably-users-added", "", StringComparison.Ordinal)}]"), ": connector[0].ablychannelname is empty: the Ably channel that INSERTs on users are published on" },
        { "no channel", Json(connector: """[{"tablename": "users", "operation": "delete"}]"""), ": connector[0].ablychannelname is missing: the Ably channel that DELETEs on users are published on" },
        { "channel qualifier", Json(connector: $"[{Entry.Replace("ably-users-added", "[meta]users", StringComparison.Ordinal)}]"), """: connector[0].ablychannelname "[meta]users" is not a valid Ably channel name: it starts with '[', which Ably reserves for channel qualifiers such as [meta]""" },
        { "channel wildcard", Json(connector: $"[{Entry.Replace("ably-users-added", "users*:added", StringComparison.Ordinal)}]"), """: connector[0].ablychannelname "users*:added" is not a valid Ably channel name: its namespace 'users*' (the part before the first ':') contains '*'""" },
        { "channel colon", Json(connector: $"[{Entry.Replace("ably-users-added", ":users", StringComparison.Ordinal)}]"), """: connector[0].ablychannelname ":users" is not a valid Ably channel name: it starts with ':'""" },
        { "no table", Json(connector: """[{"ablychannelname": "c", "operation": "INSERT"}]"""), ": connector[0].tablename is missing: the name of a table in schema public" },
        { "empty table", Json(connector: $"[{Entry.Replace("\"users\"", "\"\"", StringComparison.Ordinal)}]"), ": connector[0].tablename is empty: the name of a table in schema public" },
        { "qualified table", Json(connector: $"[{Entry.Replace("\"users\"", "\"public.users\"", StringComparison.Ordinal)}]"), """: connector[0].tablename "public.users" contains '.': give the table's name alone; the table must be in schema public""" },
        { "table spaces", Json(connector: $"[{Entry.Replace("\"users\"", "\"users \"", StringComparison.Ordinal)}]"), """: connector[0].tablename "users " starts or ends with a space: give the name of a table in schema public""" },
        { "long table", Json(connector: $"[{Entry.Replace("\"users\"", "\"" + new string('t', 64) + "\"", StringComparison.Ordinal)}]"), $": connector[0].tablename \"{new string('t', 64)}\" is longer than PostgreSQL's 63-byte limit for names: give the name of a table in schema public" },
        { "duplicate operation", Json(connector: $"[{Entry}, {Entry.Replace("INSERT", "UPDATE", StringComparison.Ordinal)}, {Entry.Replace("ably-users-added", "other", StringComparison.Ordinal).Replace("INSERT", "insert", StringComparison.Ordinal)}]"), ": connector[2] maps INSERT of table users again (connector[0] already does): each operation of a table is published to one channel" },
        { "no ably", $$"""{"dbConfig": {{Db}}, "connector": [{{Entry}}]}""", """: ably is missing: {"apiKey": "keyName:keySecret"}""" },
        { "no apiKey", Json(ably: "{}"), """: ably.apiKey is missing: set it to the full API key "keyName:keySecret" (as shown in the Ably dashboard)""" },
        { "apiKey placeholder", Json(ably: """{"apiKey": "API_KEY"}"""), """: ably.apiKey has no ':' separator: expected the full API key "keyName:keySecret", not just one part of it""" },
        { "apiKey no secret", Json(ably: """{"apiKey": "app.key:"}"""), """: ably.apiKey has an empty secret after the ':': expected "keyName:keySecret" """.TrimEnd() },
        { "apiKey spaces", Json(ably: """{"apiKey": "app.key: k3y-secret"}"""), """: ably.apiKey contains whitespace or control characters (copy/paste error?): expected "keyName:keySecret" """.TrimEnd() },
        { "apiKey type", Json(ably: """{"apiKey": 12}"""), """: ably.apiKey must be a string (the full API key "keyName:keySecret"), not a number""" },
        { "tls type", Json(ably: """{"apiKey": "app.key:k3y-secret", "tls": "false"}"""), ": ably.tls must be true or false (false for plain HTTP to a local endpoint), not a string" },
        { "port with tls", Json(ably: """{"apiKey": "app.key:k3y-secret", "restHost": "127.0.0.1", "port": 8080}"""), ": ably.port is the plain-HTTP port (as in ably-js) but TLS is on: set ably.tls to false to use plain HTTP, or give the HTTPS port in ably.tlsPort" },
        { "tlsPort without tls", Json(ably: """{"apiKey": "app.key:k3y-secret", "tls": false, "tlsPort": 8443}"""), ": ably.tlsPort is the HTTPS port (as in ably-js) but TLS is off (ably.tls is false): give the plain-HTTP port in ably.port" },
        { "ably port range", Json(ably: """{"apiKey": "app.key:k3y-secret", "tls": false, "port": 0}"""), ": ably.port 0 is not a port number: use a whole number from 1 to 65535" },
        { "restHost scheme", Json(ably: """{"apiKey": "app.key:k3y-secret", "restHost": "https://rest.example.com"}"""), """: ably.restHost "https://rest.example.com" contains a scheme: give the host name only (e.g. "example.com", not "https://example.com"); use Tls and Port for the scheme and port""" },
        { "compatible type", Json(ably: """{"apiKey": "app.key:k3y-secret", "compatibleMessages": "yes"}"""), ": ably.compatibleMessages must be true or false (true to publish exactly what the Node.js connector published), not a string" },
        { "capture schema", Json(extra: """, "captureSchema": "" """), ": captureSchema is empty: give the schema that holds the connector's tables (default ablypg)" },
    };

    public static TheoryData<string, string, string> EnvCases => new()
    {
        { "empty", "# nothing here\n", " sets none of the original's variables: set DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, ABLY_API_KEY and ABLY_CONNECTOR" },
        { "port", Env().Replace("DB_PORT=5432", "DB_PORT=abc", StringComparison.Ordinal), """: DB_PORT "abc" is not a port number: use a whole number from 1 to 65535""" },
        { "no user", Env().Replace("DB_USER=postgres\n", "", StringComparison.Ordinal), ": DB_USER is not set: the PostgreSQL user name" },
        { "empty database", Env().Replace("DB_NAME=mydb", "DB_NAME=", StringComparison.Ordinal), ": DB_NAME is not set: the name of the database whose tables are captured" },
        { "placeholder key", Env().Replace("app.key:k3y-secret", "dummy", StringComparison.Ordinal), """: ABLY_API_KEY has no ':' separator: expected the full API key "keyName:keySecret", not just one part of it""" },
        { "no key", Env().Replace("ABLY_API_KEY=app.key:k3y-secret\n", "", StringComparison.Ordinal), """: ABLY_API_KEY is not set: the full Ably API key "keyName:keySecret" (as shown in the Ably dashboard)""" },
        { "no connector", Env(connector: null), """: ABLY_CONNECTOR is not set: a JSON array such as '[{"tablename":"users","ablychannelname":"ably-users-added","operation":"INSERT"}]'""" },
        { "connector without quotes", Env(connector: "[{tablename:users,ablychannelname:ably-users-added,operation:INSERT}]"), ": ABLY_CONNECTOR is not valid JSON: position 3: 't' is an invalid start of a property name. Expected a '\"'. (it has no double quotes: did a shell remove them? Put the whole value in single quotes)" },
        { "connector empty", Env(connector: "[]"), ": ABLY_CONNECTOR is empty: map at least one table, " + ConnectorExample },
        { "connector operation", Env(connector: """'[{"tablename":"users","ablychannelname":"c","operation":"DROP"}]'"""), """: ABLY_CONNECTOR[0].operation "DROP" is not an operation: use INSERT, UPDATE or DELETE""" },
        { "connector channel", Env(connector: """'[{"tablename":"users","ablychannelname":"","operation":"INSERT"}]'"""), ": ABLY_CONNECTOR[0].ablychannelname is empty: the Ably channel that INSERTs on users are published on" },
        { "connector duplicate", Env(connector: """'[{"tablename":"users","ablychannelname":"a","operation":"DELETE"},{"tablename":"users","ablychannelname":"b","operation":"DELETE"}]'"""), ": ABLY_CONNECTOR[1] maps DELETE of table users again (ABLY_CONNECTOR[0] already does): each operation of a table is published to one channel" },
        { "tls", Env() + "ABLY_TLS=maybe\n", """: ABLY_TLS "maybe" is not a boolean: use true, false, 1 or 0""" },
        { "compatible", Env() + "ABLY_COMPATIBLE_MESSAGES=yes\n", """: ABLY_COMPATIBLE_MESSAGES "yes" is not a boolean: use true, false, 1 or 0""" },
        { "ably port with tls", Env() + "ABLY_REST_HOST=127.0.0.1\nABLY_PORT=8080\n", ": ABLY_PORT is the plain-HTTP port (as in ably-js) but TLS is on: set ABLY_TLS to false to use plain HTTP, or give the HTTPS port in ABLY_TLS_PORT" },
        { "rest host", Env() + "ABLY_REST_HOST=localhost:8080\n", """: ABLY_REST_HOST "localhost:8080" contains a port: give the host name only and use the Port option""" },
        { "capture schema", Env() + "ABLYPG_CAPTURE_SCHEMA=\"" + new string('s', 64) + "\"\n", $": ABLYPG_CAPTURE_SCHEMA \"{new string('s', 64)}\" is longer than PostgreSQL's 63-byte limit for names: give the schema that holds the connector's tables (default ablypg)" },
        { "unclosed quote", Env().Replace("DB_PASSWORD=pa55-secret", "DB_PASSWORD='pa55-secret", StringComparison.Ordinal), ": DB_PASSWORD (line 4) opens a ' quote that is not closed on its line (the next ' is on line 7, followed by more text)" },
        { "unclosed last quote", Env() + "DB_HOST=\"localhost\n", ": DB_HOST (line 8) opens a \" quote that is never closed" },
        { "text after quote", Env().Replace("DB_PASSWORD=pa55-secret", "DB_PASSWORD=\"pa55\"-secret", StringComparison.Ordinal), ": DB_PASSWORD (line 4) has text after its closing quote: quote the whole value, or start a comment with #" },
        { "not key value", "DB_HOST localhost\n" + Env(), ": line 1 is not a KEY=VALUE line (a KEY holds letters, digits, '_', '.' and '-'; comments start with #)" },
    };

    [Theory]
    [MemberData(nameof(JsonCases))]
    public void Bad_json_files_name_the_file_field_and_problem(string name, string content, string expected) => AssertRejected(name, "default.json", content, expected);

    [Theory]
    [MemberData(nameof(EnvCases))]
    public void Bad_env_files_name_the_file_variable_and_problem(string name, string content, string expected) => AssertRejected(name, ".env", content, expected);

    [Fact]
    public void A_file_not_named_json_gets_a_hint_when_it_is_not_json()
    {
        AssertRejected("yaml", "config.yaml", "dbConfig:\n  host: db\n", " is not valid JSON: line 1, position 1: 'd' is an invalid start of a value. (files whose name ends in .env are read as .env files; any other file as JSON)");
    }

    [Fact]
    public void Missing_file_is_named_by_its_absolute_path()
    {
        using var folder = new ConfigFolder();
        var path = Path.Combine(folder.FullPath, "config", "default.json");

        var error = Assert.Throws<AblyConfigurationException>(() => OriginalConfiguration.Load(path));

        Assert.Equal($"Config file '{path}' does not exist", error.Message);
    }

    [Fact]
    public void Missing_relative_file_names_the_working_folder()
    {
        var error = Assert.Throws<AblyConfigurationException>(() => OriginalConfiguration.Load("no-such-config/default.json"));

        var cwd = Environment.CurrentDirectory;
        Assert.Equal($"Config file '{Path.Combine(cwd, "no-such-config", "default.json")}' does not exist (the path 'no-such-config/default.json' is relative to the working folder {cwd})", error.Message);
    }

    [Fact]
    public void A_folder_is_not_a_config_file()
    {
        using var folder = new ConfigFolder();

        var error = Assert.Throws<AblyConfigurationException>(() => new Connector(folder.FullPath));

        Assert.Equal($"Config file '{folder.FullPath}' is a folder: give the path of the JSON file (config/default.json) or of the .env file (config/.env)", error.Message);
    }

    internal static string Json(string db = Db, string connector = "[" + Entry + "]", string ably = Ably, string extra = "") =>
        $$"""{"dbConfig": {{db}}, "connector": {{connector}}, "ably": {{ably}}{{extra}}}""";

    internal static string Env(string? connector = """'[{"tablename":"users","ablychannelname":"ably-users-added","operation":"INSERT"}]'""") =>
        "DB_HOST=localhost\nDB_PORT=5432\nDB_USER=postgres\nDB_PASSWORD=pa55-secret\nDB_NAME=mydb\nABLY_API_KEY=app.key:k3y-secret\n"
        + (connector is null ? "" : "ABLY_CONNECTOR=" + connector + "\n");

    private static void AssertRejected(string name, string fileName, string content, string expected)
    {
        using var folder = new ConfigFolder();
        var path = folder.Write(fileName, content);

        var error = Assert.Throws<AblyConfigurationException>(() => OriginalConfiguration.Load(path));

        Assert.Equal($"Config file '{path}'" + expected, error.Message);
        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(KeySecret, error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(name));
    }
}
