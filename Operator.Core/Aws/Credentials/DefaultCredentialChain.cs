using Amazon.Runtime;

namespace Operator.Core.Aws.Credentials;

/// <summary>
/// The operator's own identity for providers that name none (and the base for roleARN without a web identity
/// token). Registered in DI so tests supply a stand-in identity instead of changing the process environment; the
/// production registration is <see cref="DefaultChainCredentials.FromSdk"/>. Each call may return a new instance;
/// it must not resolve credentials eagerly.
/// </summary>
internal delegate AWSCredentials DefaultCredentialChain();
