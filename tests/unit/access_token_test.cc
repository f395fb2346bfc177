// Access tokens against real keys: RSA and EC keys made and used by cjose,
// Ed25519 by OpenSSL. Bad tokens are crafted here, where the fault must be
// injected (alg none, HMAC with the public key, confused kid, tampering).
#include "policies/access_token.h"

#include <openssl/evp.h>

#include <cjose/cjose.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

namespace mcpgw::policies {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kIssuer = "https://idp.example/realms/acme";
constexpr std::string_view kResource = "https://gw.example/mcp";
const auto kNow = std::chrono::system_clock::time_point(1'800'000'000s);

std::string Base64Url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

nlohmann::json Claims(nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json claims = {{"iss", kIssuer}, {"sub", "alice"}, {"aud", kResource},
                           {"exp", 1'800'000'300}, {"iat", 1'800'000'000},
                           {"scope", "openid mcp"}, {"tenant", "acme"}};
  claims.update(extra);
  return claims;
}

// A key cjose made (RSA or EC), its public JWK and tokens it signs.
struct CjoseKey {
  std::shared_ptr<cjose_jwk_t> jwk;
  std::string kid;

  static CjoseKey Rsa(std::string kid) {
    static const uint8_t e[] = {0x01, 0x00, 0x01};
    return Wrap(cjose_jwk_create_RSA_random(2048, e, sizeof e, nullptr), kid);
  }
  static CjoseKey Ec(std::string kid) {
    return Wrap(cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, nullptr), kid);
  }
  static CjoseKey Wrap(cjose_jwk_t* jwk, std::string kid) {
    cjose_jwk_set_kid(jwk, kid.data(), kid.size(), nullptr);
    return {std::shared_ptr<cjose_jwk_t>(jwk, [](cjose_jwk_t* k) { cjose_jwk_release(k); }), kid};
  }
  nlohmann::json PublicJwk(std::string alg = {}) const {
    char* text = cjose_jwk_to_json(jwk.get(), false, nullptr);
    auto json = nlohmann::json::parse(text);
    std::free(text);
    if (!alg.empty()) json["alg"] = alg;
    return json;
  }
  std::string Sign(std::string alg, const nlohmann::json& claims,
                   std::string header_kid = "\x01") const {
    cjose_header_t* header = cjose_header_new(nullptr);
    cjose_header_set(header, CJOSE_HDR_ALG, alg.c_str(), nullptr);
    const std::string kid_value = header_kid == "\x01" ? kid : header_kid;
    if (!kid_value.empty()) cjose_header_set(header, CJOSE_HDR_KID, kid_value.c_str(), nullptr);
    const std::string payload = claims.dump();
    cjose_jws_t* jws = cjose_jws_sign(jwk.get(), header,
                                      reinterpret_cast<const uint8_t*>(payload.data()),
                                      payload.size(), nullptr);
    cjose_header_release(header);
    const char* compact = nullptr;
    cjose_jws_export(jws, &compact, nullptr);
    std::string out(compact);
    cjose_jws_release(jws);
    return out;
  }
};

JsonWebKeySet Keys(std::vector<nlohmann::json> jwks) {
  auto set = JsonWebKeySet::Parse(nlohmann::json{{"keys", jwks}}.dump());
  EXPECT_TRUE(set.ok()) << set.status();
  return *set;
}

TokenRules Rules() {
  return {std::string(kIssuer), {std::string(kResource)}, {"mcp"}, 60s};
}

TokenProblem ProblemOf(const TokenCheck& check) {
  const auto* error = std::get_if<TokenError>(&check);
  EXPECT_NE(error, nullptr) << "the token was accepted";
  return error ? error->problem : TokenProblem::kMalformed;
}

// An unsigned or HMAC token: header and claims as given.
std::string Craft(const nlohmann::json& header, const nlohmann::json& claims,
                  std::string_view signature) {
  return Base64Url(header.dump()) + "." + Base64Url(claims.dump()) + "." +
         Base64Url(signature);
}

class AccessTokenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new CjoseKey(CjoseKey::Rsa("rsa-1"));
    ec_ = new CjoseKey(CjoseKey::Ec("ec-1"));
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
  }
  static CjoseKey* rsa_;
  static CjoseKey* ec_;
};
CjoseKey* AccessTokenTest::rsa_ = nullptr;
CjoseKey* AccessTokenTest::ec_ = nullptr;

TEST_F(AccessTokenTest, AcceptsRsaPssAndEcSignatures) {
  const auto keys = Keys({rsa_->PublicJwk(), ec_->PublicJwk()});
  for (const auto& token : {rsa_->Sign("RS256", Claims()), rsa_->Sign("PS256", Claims()),
                            ec_->Sign("ES256", Claims())}) {
    auto check = VerifyAccessToken(token, keys, Rules(), kNow);
    ASSERT_TRUE(std::holds_alternative<AccessTokenClaims>(check))
        << std::get<TokenError>(check).description;
    const auto& claims = std::get<AccessTokenClaims>(check);
    EXPECT_EQ(claims.subject, "alice");
    EXPECT_EQ(claims.payload["tenant"], "acme");
    EXPECT_EQ(claims.scopes, (std::vector<std::string>{"openid", "mcp"}));
  }
}

TEST_F(AccessTokenTest, AcceptsEd25519ThroughOpenSsl) {
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  ASSERT_EQ(EVP_PKEY_keygen_init(kctx), 1);
  ASSERT_EQ(EVP_PKEY_keygen(kctx, &pkey), 1);
  EVP_PKEY_CTX_free(kctx);
  unsigned char raw[32];
  std::size_t raw_len = sizeof raw;
  ASSERT_EQ(EVP_PKEY_get_raw_public_key(pkey, raw, &raw_len), 1);
  const std::string input =
      Base64Url(nlohmann::json{{"alg", "EdDSA"}, {"kid", "ed-1"}}.dump()) + "." +
      Base64Url(Claims().dump());
  unsigned char sig[64];
  std::size_t sig_len = sizeof sig;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey), 1);
  ASSERT_EQ(EVP_DigestSign(ctx, sig, &sig_len,
                           reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()), 1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  const std::string token =
      input + "." + Base64Url(std::string_view(reinterpret_cast<char*>(sig), sig_len));
  const auto keys = Keys({{{"kty", "OKP"}, {"crv", "Ed25519"}, {"kid", "ed-1"},
                           {"x", Base64Url(std::string_view(reinterpret_cast<char*>(raw), raw_len))}}});
  EXPECT_TRUE(std::holds_alternative<AccessTokenClaims>(
      VerifyAccessToken(token, keys, Rules(), kNow)));
  std::string tampered = token;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ProblemOf(VerifyAccessToken(tampered, keys, Rules(), kNow)),
            TokenProblem::kBadSignature);
}

TEST_F(AccessTokenTest, RefusesNoneAndHmacWhateverTheKey) {
  const auto keys = Keys({rsa_->PublicJwk()});
  const auto none = Craft({{"alg", "none"}, {"kid", "rsa-1"}}, Claims(), "");
  EXPECT_EQ(ProblemOf(VerifyAccessToken(none, keys, Rules(), kNow)),
            TokenProblem::kRefusedAlgorithm);
  // HS256 "signed" with the public key's JSON (the classic confusion).
  const auto hs = Craft({{"alg", "HS256"}, {"kid", "rsa-1"}}, Claims(),
                        rsa_->PublicJwk().dump());
  const auto check = VerifyAccessToken(hs, keys, Rules(), kNow);
  EXPECT_EQ(ProblemOf(check), TokenProblem::kRefusedAlgorithm);
  EXPECT_NE(std::get<TokenError>(check).description.find("symmetric"), std::string::npos);
}

TEST_F(AccessTokenTest, RefusesAnAlgorithmTheKeyDoesNotFit) {
  // An EC token naming the RSA key's kid, and RS256 on a key declared PS256.
  const auto keys = Keys({rsa_->PublicJwk("PS256"), ec_->PublicJwk()});
  EXPECT_EQ(ProblemOf(VerifyAccessToken(ec_->Sign("ES256", Claims(), "rsa-1"), keys, Rules(), kNow)),
            TokenProblem::kRefusedAlgorithm);
  EXPECT_EQ(ProblemOf(VerifyAccessToken(rsa_->Sign("RS256", Claims()), keys, Rules(), kNow)),
            TokenProblem::kRefusedAlgorithm);
  EXPECT_TRUE(std::holds_alternative<AccessTokenClaims>(
      VerifyAccessToken(rsa_->Sign("PS256", Claims()), keys, Rules(), kNow)));
}

TEST_F(AccessTokenTest, UnknownKidAndMissingKid) {
  const auto keys = Keys({rsa_->PublicJwk(), ec_->PublicJwk()});
  EXPECT_EQ(ProblemOf(VerifyAccessToken(rsa_->Sign("RS256", Claims(), "gone"), keys, Rules(), kNow)),
            TokenProblem::kUnknownKey);
  // Without a kid only a single-key issuer is unambiguous.
  EXPECT_EQ(ProblemOf(VerifyAccessToken(rsa_->Sign("RS256", Claims(), ""), keys, Rules(), kNow)),
            TokenProblem::kUnknownKey);
  EXPECT_TRUE(std::holds_alternative<AccessTokenClaims>(VerifyAccessToken(
      rsa_->Sign("RS256", Claims(), ""), Keys({rsa_->PublicJwk()}), Rules(), kNow)));
}

TEST_F(AccessTokenTest, TamperedPayloadFailsTheSignature) {
  const auto keys = Keys({rsa_->PublicJwk()});
  const std::string token = rsa_->Sign("RS256", Claims());
  const auto dot = token.find('.');
  const auto second = token.find('.', dot + 1);
  const std::string forged = token.substr(0, dot + 1) +
                             Base64Url(Claims({{"tenant", "globex"}}).dump()) +
                             token.substr(second);
  EXPECT_EQ(ProblemOf(VerifyAccessToken(forged, keys, Rules(), kNow)),
            TokenProblem::kBadSignature);
}

TEST_F(AccessTokenTest, ChecksIssuerTimeAudienceAndScope) {
  const auto keys = Keys({rsa_->PublicJwk()});
  auto problem = [&](nlohmann::json extra) {
    return ProblemOf(VerifyAccessToken(rsa_->Sign("RS256", Claims(extra)), keys, Rules(), kNow));
  };
  EXPECT_EQ(problem({{"iss", "https://idp.example/realms/other"}}), TokenProblem::kWrongIssuer);
  EXPECT_EQ(problem({{"exp", 1'800'000'000 - 61}}), TokenProblem::kExpired);
  EXPECT_EQ(problem({{"nbf", 1'800'000'000 + 61}}), TokenProblem::kNotYetValid);
  EXPECT_EQ(problem({{"aud", "https://other.example/mcp"}}), TokenProblem::kWrongAudience);
  EXPECT_EQ(problem({{"scope", "openid"}}), TokenProblem::kInsufficientScope);
  // Absurd times are clamped, not overflowed.
  EXPECT_EQ(problem({{"exp", -9'223'372'036'854'775'807LL}}), TokenProblem::kExpired);
  EXPECT_EQ(problem({{"exp", 1e300}, {"nbf", 18'446'744'073'709'551'615ULL}}),
            TokenProblem::kNotYetValid);
  // Within the skew, an audience array, and `scp` arrays are fine.
  const auto ok = VerifyAccessToken(
      rsa_->Sign("RS256", Claims({{"exp", 1'800'000'000 - 30},
                                  {"nbf", 1'800'000'000 + 30},
                                  {"aud", {"account", kResource}},
                                  {"scope", nullptr},
                                  {"scp", {"mcp"}}})),
      keys, Rules(), kNow);
  EXPECT_TRUE(std::holds_alternative<AccessTokenClaims>(ok))
      << std::get<TokenError>(ok).description;
}

TEST(JsonWebKeySetTest, KeepsOnlyAsymmetricSigningKeys) {
  auto set = JsonWebKeySet::Parse(R"({"keys":[
      {"kty":"oct","k":"c2VjcmV0","kid":"hmac"},
      {"kty":"RSA","use":"enc","kid":"enc","n":"AQAB","e":"AQAB"},
      {"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->KeyIds(), std::vector<std::string>{"ed"});
  EXPECT_FALSE(JsonWebKeySet::Parse("[]").ok());
  EXPECT_FALSE(JsonWebKeySet::Parse("not json").ok());
}

TEST(AccessTokenMalformedTest, GarbageIsMalformed) {
  JsonWebKeySet keys;
  for (std::string_view token : {"", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.e30"}) {
    EXPECT_NE(std::get_if<TokenError>(&static_cast<const TokenCheck&>(
                  VerifyAccessToken(token, keys, Rules(), kNow))),
              nullptr)
        << token;
  }
  EXPECT_EQ(UnverifiedIssuer("e30.eyJpc3MiOiJodHRwczovL2EifQ.x"), "https://a");
}

}  // namespace
}  // namespace mcpgw::policies
