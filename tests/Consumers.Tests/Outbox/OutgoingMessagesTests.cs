using System.Text.Json;
using GlobalCommerce.Platform.Messaging.Outbox;

namespace GlobalCommerce.Consumers.Tests.Outbox;

// What an inbox row stores of the messages its handler produced, and reads back to send them again after a crash.
public class OutgoingMessagesTests
{
    static OutboxMessage Message(string body, string? headers = null) => new()
    {
        MessageId = Guid.NewGuid(),
        IsPublish = true,
        ContentType = "application/vnd.masstransit+json",
        MessageType = "urn:message:GlobalCommerce.Contracts.Orders:OrderSubmitted",
        Body = body,
        Headers = headers,
        SentTime = new DateTime(2026, 12, 2, 8, 0, 0, DateTimeKind.Utc),
        DestinationAddress = new Uri("rabbitmq://127.0.0.1/order-state"),
    };

    [Fact]
    public void A_json_body_is_stored_as_json_and_read_back_as_the_exact_text()
    {
        const string body = """{"messageId":"0b1e0000-0000-0000-0000-000000000001","message":{"note":"quote \" and ünïcode","lines":[1,2.50,{"x":null}]}}""";
        const string headers = """{"MT-Activity-Id":"00-abc-def-01"}""";

        var stored = OutgoingMessages.Write([Message(body, headers), Message("[]")]);
        var read = OutgoingMessages.Read(stored);

        Assert.Equal([body, "[]"], read.Select(m => m.Body));
        Assert.Equal([headers, null], read.Select(m => m.Headers));
        // Stored as JSON, not as an escaped string: the body's own quotes appear unescaped in the row.
        using var row = JsonDocument.Parse(stored);
        Assert.Equal(JsonValueKind.Object, row.RootElement[0].GetProperty("body").ValueKind);
        Assert.Equal(JsonValueKind.Object, row.RootElement[0].GetProperty("headers").ValueKind);
        Assert.Contains("\"note\":", stored, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain text, not JSON")]
    [InlineData("{ looks like an object but is not }")]
    [InlineData(" {\"padded\":true} ")]
    [InlineData("")]
    public void A_body_that_is_not_exactly_a_json_object_or_array_is_stored_as_a_string_and_read_back_unchanged(string body)
    {
        var stored = OutgoingMessages.Write([Message(body)]);

        using var row = JsonDocument.Parse(stored);
        Assert.Equal(JsonValueKind.String, row.RootElement[0].GetProperty("body").ValueKind);
        Assert.Equal(body, Assert.Single(OutgoingMessages.Read(stored)).Body);
    }

    // A row written before bodies were stored as JSON (the body an escaped string) is still sent as it was.
    [Fact]
    public void A_row_written_with_the_body_as_a_string_reads_back_the_same_body()
    {
        const string body = """{"message":{"orderId":"7f000000-0000-0000-0000-000000000000"}}""";
        var older = JsonSerializer.Serialize(new[]
        {
            new
            {
                sequenceNumber = 0, messageId = Guid.NewGuid(), isPublish = false, contentType = "application/vnd.masstransit+json",
                messageType = "urn:message:X", body, headers = """{"a":"b"}""", sentTime = DateTime.UtcNow,
            },
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web));

        var read = Assert.Single(OutgoingMessages.Read(older));

        Assert.Equal(body, read.Body);
        Assert.Equal("""{"a":"b"}""", read.Headers);
    }
}
