namespace Dial.Learning.Neural;

/// <summary>
/// Writes and reads parameter values by name and shape, so a saved network is checked against the one it is
/// loaded into rather than silently misread.
/// </summary>
public static class ParameterFile
{
    public static void Write(BinaryWriter writer, IReadOnlyCollection<Parameter> parameters)
    {
        writer.Write(parameters.Count);
        foreach (var p in parameters)
        {
            writer.Write(p.Name);
            writer.Write(p.Rows);
            writer.Write(p.Cols);
            foreach (var x in p.Value) writer.Write(x);
        }
    }

    public static void Read(BinaryReader reader, IReadOnlyCollection<Parameter> parameters, string source)
    {
        var count = reader.ReadInt32();
        if (count != parameters.Count) throw new InvalidDataException($"{source}: file has {count} parameters, the network has {parameters.Count}");
        foreach (var p in parameters)
        {
            var name = reader.ReadString();
            var rows = reader.ReadInt32();
            var cols = reader.ReadInt32();
            if (name != p.Name || rows != p.Rows || cols != p.Cols)
                throw new InvalidDataException($"{source}: parameter '{name}' {rows}x{cols} does not match the network's '{p.Name}' {p.Rows}x{p.Cols}");
            for (var i = 0; i < p.Value.Length; i++) p.Value[i] = reader.ReadSingle();
        }
    }
}
