return await Dial.Gateway.GatewayHost.RunAsync(args);
