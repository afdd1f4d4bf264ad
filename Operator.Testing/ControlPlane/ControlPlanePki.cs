using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Operator.Testing.ControlPlane;

/// <summary>
/// Fresh certificates for a loopback control plane, made in process (no openssl): a CA, the apiserver's serving
/// certificate (127.0.0.1, localhost, kubernetes.default.svc), client certificates for the admin (group
/// system:masters) and the controller-manager, and the ServiceAccount token signing key pair. Written as PEM files
/// into <see cref="Directory"/>; keys are readable by the owner only.
/// </summary>
internal sealed class ControlPlanePki
{
    private ControlPlanePki(string directory) => Directory = directory;

    public string Directory { get; }
    public string CaCertificate => Path.Combine(Directory, "ca.crt");
    public string ServingCertificate => Path.Combine(Directory, "apiserver.crt");
    public string ServingKey => Path.Combine(Directory, "apiserver.key");
    public string AdminCertificate => Path.Combine(Directory, "admin.crt");
    public string AdminKey => Path.Combine(Directory, "admin.key");
    public string ControllerManagerCertificate => Path.Combine(Directory, "kcm.crt");
    public string ControllerManagerKey => Path.Combine(Directory, "kcm.key");
    public string ServiceAccountPublicKey => Path.Combine(Directory, "sa.pub");
    public string ServiceAccountPrivateKey => Path.Combine(Directory, "sa.key");
    public string CaKey => Path.Combine(Directory, "ca.key");

    public static ControlPlanePki Create(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var pki = new ControlPlanePki(directory);
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        var notAfter = notBefore.AddYears(1);

        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=infra-operator-test-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);
        Write(pki.CaCertificate, ca.ExportCertificatePem());
        WriteKey(pki.CaKey, caKey.ExportPkcs8PrivateKeyPem());

        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        san.AddDnsName("kubernetes.default.svc");
        Issue(ca, caKey, "CN=kube-apiserver", server: true, san.Build(), pki.ServingCertificate, pki.ServingKey, notBefore, notAfter);
        Issue(ca, caKey, "O=system:masters, CN=admin", server: false, null, pki.AdminCertificate, pki.AdminKey, notBefore, notAfter);
        Issue(ca, caKey, "CN=system:kube-controller-manager", server: false, null, pki.ControllerManagerCertificate, pki.ControllerManagerKey, notBefore, notAfter);

        using var saKey = RSA.Create(2048);
        Write(pki.ServiceAccountPublicKey, saKey.ExportSubjectPublicKeyInfoPem());
        WriteKey(pki.ServiceAccountPrivateKey, saKey.ExportPkcs8PrivateKeyPem());
        return pki;
    }

    private static void Issue(X509Certificate2 ca, RSA caKey, string subject, bool server, X509Extension? san, string certificatePath, string keyPath,
        DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        using var issued = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1), notBefore, notAfter, serial);
        Write(certificatePath, issued.ExportCertificatePem());
        WriteKey(keyPath, key.ExportPkcs8PrivateKeyPem());
    }

    private static void Write(string path, string pem) => File.WriteAllText(path, pem + "\n");

    private static void WriteKey(string path, string pem)
    {
        Write(path, pem);
        OwnerOnly(path);
    }

    /// <summary>Makes a file (or, with <paramref name="directory"/>, a directory) accessible to its owner only.</summary>
    public static void OwnerOnly(string path, bool directory = false)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | (directory ? UnixFileMode.UserExecute : UnixFileMode.None));
        }
    }
}
