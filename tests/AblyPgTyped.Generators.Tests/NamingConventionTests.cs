extern alias generator;

using System;
using System.Linq;
using AblyPgTyped.Generators.Tests.Infrastructure;
using AblyPgTyped.Mapping;
using Xunit;
using GeneratorModel = generator::AblyPgTyped.Generators.Model;

namespace AblyPgTyped.Generators.Tests;

/// <summary>
/// <see cref="ColumnNaming"/>: the snake_case rule, applied by the generator at compile time, and the hints the runtime
/// gives when a table's columns are named by another convention.
/// </summary>
public sealed class NamingConventionTests
{
    [Theory]
    [InlineData("Id", "id")]
    [InlineData("OrderId", "order_id")]
    [InlineData("HTTPStatus", "http_status")]
    [InlineData("ID", "id")]
    [InlineData("UserID", "user_id")]
    [InlineData("Address2", "address2")]
    [InlineData("Line2Text", "line2text")]
    [InlineData("Sha256Hash", "sha256hash")]
    [InlineData("already_snake", "already_snake")]
    [InlineData("Order_Id", "order_id")]
    [InlineData("_Private", "_private")]
    [InlineData("lowerCamel", "lower_camel")]
    [InlineData("ÉtéCourt", "été_court")]
    [InlineData("名前Id", "名前_id")]
    public void Snake_case_follows_the_EF_Core_and_Npgsql_rule(string property, string column) =>
        Assert.Equal(column, SnakeCaseNames.From(property));

    [Fact]
    public void Snake_case_names_the_columns_DDL_and_JSON_members_while_placeholders_keep_naming_properties()
    {
        var run = GeneratorHarness.Run("""
            using AblyPgTyped;
            namespace Demo;
            [AblyTable("orders", Update = "customers:{CustomerId}", ColumnNaming = ColumnNaming.SnakeCase)]
            public sealed record Order(int Id, int CustomerId, [property: AblyColumn("Placed At")] System.DateTimeOffset PlacedAt);
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        var mapping = run.Sources["Demo.OrderAblyTable.g.cs"];
        Assert.Contains("new(\"customer_id\", \"CustomerId\", IsKey: false, ValueType: typeof(int)),", mapping, StringComparison.Ordinal);
        Assert.Contains("new(\"Placed At\", \"PlacedAt\", IsKey: false, ValueType: typeof(global::System.DateTimeOffset)),", mapping, StringComparison.Ordinal);
        Assert.Contains("NEW.\"\"customer_id\"\" AS \"\"customer_id\"\"", mapping, StringComparison.Ordinal);
        Assert.Contains("reader.ValueTextEquals(\"customer_id\"u8)", mapping, StringComparison.Ordinal);
        Assert.Contains("writer.WritePropertyName(\"customer_id\"u8);", mapping, StringComparison.Ordinal);
        Assert.Contains("updateChannel: \"customers:{CustomerId}\",", mapping, StringComparison.Ordinal);
        Assert.Contains("string.Concat(\"customers:\", row.CustomerId.ToString(", mapping, StringComparison.Ordinal);
        Assert.Contains("columnNaming: global::AblyPgTyped.ColumnNaming.SnakeCase)", mapping, StringComparison.Ordinal);
    }

    [Fact]
    public void The_attribute_wins_over_the_assembly_default()
    {
        var run = GeneratorHarness.Run("""
            using AblyPgTyped;
            [assembly: AblyTableDefaults(ColumnNaming = ColumnNaming.SnakeCase)]
            namespace Demo;
            [AblyTable("a", Insert = "a")] public sealed record Snake(int Id, int OrderId);
            [AblyTable("b", Insert = "b", ColumnNaming = ColumnNaming.Exact)] public sealed record Exact(int Id, int OrderId);
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("new(\"order_id\", \"OrderId\"", run.Sources["Demo.SnakeAblyTable.g.cs"], StringComparison.Ordinal);
        Assert.Contains("new(\"OrderId\", \"OrderId\"", run.Sources["Demo.ExactAblyTable.g.cs"], StringComparison.Ordinal);
        Assert.Contains("columnNaming: global::AblyPgTyped.ColumnNaming.Exact)", run.Sources["Demo.ExactAblyTable.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void The_runtime_reports_the_convention_of_a_generated_mapping()
    {
        Assert.Equal(ColumnNaming.SnakeCase, Mapped.SnakeCaseOrderAblyTable.Instance.ColumnNaming);
        Assert.Equal(["order_id", "customer_id", "HTTP"], Mapped.SnakeCaseOrderAblyTable.Instance.Columns.Select(c => c.Name));
        Assert.Equal(ColumnNaming.Exact, Mapped.UserAblyTable.Instance.ColumnNaming);
    }

    [Fact]
    public void The_generator_mirrors_the_runtime_enums()
    {
        AssertSameMembers<ColumnNaming, GeneratorModel.ColumnNaming>();
        AssertSameMembers<MappingVisibility, GeneratorModel.MappingVisibility>();

        static void AssertSameMembers<TRuntime, TGenerator>()
            where TRuntime : struct, Enum
            where TGenerator : struct, Enum =>
            Assert.Equal(
                Enum.GetValues<TRuntime>().Select(v => (v.ToString(), Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture))),
                Enum.GetValues<TGenerator>().Select(v => (v.ToString(), Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public void Hint_suggests_snake_case_when_the_table_has_the_snake_case_name()
    {
        var hint = ColumnNameHints.Suggest(new AblyColumn("OrderId", "OrderId", IsKey: false), ColumnNaming.Exact, ["id", "order_id"]);

        Assert.Equal(
            "the table has \"order_id\", the snake_case name of OrderId: set ColumnNaming = ColumnNaming.SnakeCase on [AblyTable] "
            + "or [assembly: AblyTableDefaults], or put [AblyColumn(\"order_id\")] on OrderId",
            hint);
    }

    [Fact]
    public void Hint_for_the_original_users_table_names_the_lower_case_column()
    {
        var hint = ColumnNameHints.Suggest(new AblyColumn("Id", "Id", IsKey: true), ColumnNaming.Exact, ["id", "name"]);

        Assert.StartsWith("the table has \"id\", the snake_case name of Id: set ColumnNaming = ColumnNaming.SnakeCase", hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Hint_suggests_exact_names_when_the_table_has_the_property_name()
    {
        var hint = ColumnNameHints.Suggest(new AblyColumn("order_id", "OrderId", IsKey: false), ColumnNaming.SnakeCase, ["OrderId"]);

        Assert.Equal(
            "the table has \"OrderId\", the property's own name: set ColumnNaming = ColumnNaming.Exact on [AblyTable] "
            + "or [assembly: AblyTableDefaults], or put [AblyColumn(\"OrderId\")] on OrderId",
            hint);
    }

    [Fact]
    public void Hint_for_a_column_that_differs_only_in_case_suggests_the_attribute()
    {
        var hint = ColumnNameHints.Suggest(new AblyColumn("E_Mail", "Email", IsKey: false), ColumnNaming.Exact, ["id", "e_mail"]);

        Assert.Equal(
            "the table has \"e_mail\" (column names are matched exactly, and PostgreSQL folds unquoted names to lower case): "
            + "put [AblyColumn(\"e_mail\")] on Email",
            hint);
    }

    [Fact]
    public void Hint_matches_a_column_that_differs_in_underscores_and_case()
    {
        var hint = ColumnNameHints.Suggest(new AblyColumn("OrderID", "OrderID", IsKey: false), ColumnNaming.SnakeCase, ["orderid"]);

        Assert.EndsWith("put [AblyColumn(\"orderid\")] on OrderID", hint, StringComparison.Ordinal);
    }

    [Fact]
    public void No_hint_when_no_column_is_close_or_the_column_exists()
    {
        Assert.Null(ColumnNameHints.Suggest(new AblyColumn("Weight", "Weight", IsKey: false), ColumnNaming.Exact, ["id", "name"]));
        Assert.Null(ColumnNameHints.Suggest(new AblyColumn("id", "Id", IsKey: false), ColumnNaming.SnakeCase, ["id", "name"]));
    }
}
