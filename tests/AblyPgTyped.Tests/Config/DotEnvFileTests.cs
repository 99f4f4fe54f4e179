using System.Collections.Generic;
using AblyPgTyped.Config;
using AblyPgTyped.Publishing;
using Xunit;

namespace AblyPgTyped.Tests.Config;

/// <summary>.env files are read as the original read them, with the dotenv npm package.</summary>
public sealed class DotEnvFileTests
{
    private static readonly ConfigSource Source = ConfigSource.File("/config/.env");

    [Fact]
    public void Comments_blank_lines_export_and_spaces_around_equals()
    {
        var values = DotEnvFile.Parse("# a comment\n\n  export DB_HOST = db.internal  \n\tDB_PORT=5433 # inline comment\nexport_ME=1\n   # indented comment\n", Source);

        Assert.Equal(new Dictionary<string, string> { ["DB_HOST"] = "db.internal", ["DB_PORT"] = "5433", ["export_ME"] = "1" }, values);
    }

    [Fact]
    public void Quotes_keep_their_content_and_equals_signs_stay_in_values()
    {
        var values = DotEnvFile.Parse(
            """
            ABLY_CONNECTOR='[{"tablename":"users","ablychannelname":"a#b","operation":"INSERT"}]'
            DB_PASSWORD="p=ss;w'rd # not a comment"  # a comment
            BACKTICK=`it's "quoted"`
            UNQUOTED=a=b=c
            SINGLE='no \n expansion'
            DOUBLE="line1\nline2"
            EMPTY=
            EMPTY_QUOTED=""
            """,
            Source);

        Assert.Equal("""[{"tablename":"users","ablychannelname":"a#b","operation":"INSERT"}]""", values["ABLY_CONNECTOR"]);
        Assert.Equal("p=ss;w'rd # not a comment", values["DB_PASSWORD"]);
        Assert.Equal("it's \"quoted\"", values["BACKTICK"]);
        Assert.Equal("a=b=c", values["UNQUOTED"]);
        Assert.Equal("no \\n expansion", values["SINGLE"]);
        Assert.Equal("line1\nline2", values["DOUBLE"]);
        Assert.Equal("", values["EMPTY"]);
        Assert.Equal("", values["EMPTY_QUOTED"]);
    }

    [Fact]
    public void Unquoted_values_end_at_a_hash_as_in_dotenv()
    {
        var values = DotEnvFile.Parse("DB_PASSWORD=abc#def\n", Source);

        Assert.Equal("abc", values["DB_PASSWORD"]);
    }

    [Fact]
    public void Quoted_values_may_span_lines_and_line_numbers_follow()
    {
        var values = DotEnvFile.Parse("ABLY_CONNECTOR='[\n  {\"tablename\": \"users\"}\n]'\nDB_HOST=h\n", Source);
        Assert.Equal("[\n  {\"tablename\": \"users\"}\n]", values["ABLY_CONNECTOR"]);
        Assert.Equal("h", values["DB_HOST"]);

        var error = Assert.Throws<AblyConfigurationException>(() => DotEnvFile.Parse("A='x\ny'\nB=\"unclosed\n", Source));
        Assert.Equal("Config file '/config/.env': B (line 3) opens a \" quote that is never closed", error.Message);
    }

    [Fact]
    public void Windows_line_endings_a_byte_order_mark_and_repeated_keys()
    {
        var values = DotEnvFile.Parse("\uFEFFDB_HOST=first\r\nDB_USER='u'\r\nDB_HOST=second\r\n", Source);

        Assert.Equal(new Dictionary<string, string> { ["DB_HOST"] = "second", ["DB_USER"] = "u" }, values);
    }

    [Fact]
    public void An_escaped_quote_does_not_close_the_value()
    {
        var values = DotEnvFile.Parse("A='it\\'s'\n", Source);

        Assert.Equal("it\\'s", values["A"]);
    }
}
