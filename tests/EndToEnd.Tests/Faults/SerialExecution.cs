// One end-to-end test at a time, in this whole assembly: a fault test restarts the RabbitMQ node every test shares
// and drives the machine's few cores flat out, so another test running beside it would see faults it did not ask for.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
