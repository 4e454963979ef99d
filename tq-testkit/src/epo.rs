//! A fake McAfee ePO serving the three OpenDXL remote commands (research/dxl-tie.md §7.1,
//! §8.4), on the shared [`TestServer`] (HTTPS, request log, fault injection):
//!
//! - `GET /remote/DxlBrokerMgmt.generateOpenDXLClientProvisioningPackageCmd?csrString=<PEM>&:output=json`
//!   signs the CSR with the test CA and answers `OK:\r\n"<ca>,<cert>,<broker lines>"`;
//! - `GET /remote/DxlClientMgmt.createClientCaBundle` answers the CA bundle;
//! - `GET /remote/DxlClientMgmt.getBrokerList` answers `{"brokers":[...],"certVersion":0}`.
//!
//! Every command needs HTTP Basic auth with the configured user and password (else 401);
//! a missing or unparsable CSR is answered as ePO does, with `Error <code>:` text.

use std::sync::Arc;

use serde_json::json;

use crate::certs::TestCa;
use crate::rigs::dxl::BrokerEntry;
use crate::server::{Request, Response, ServerControl, TestServer};

/// The provisioning command's path.
pub const PROVISION_PATH: &str =
    "/remote/DxlBrokerMgmt.generateOpenDXLClientProvisioningPackageCmd";

/// A running fake ePO (stopped on drop).
pub struct FakeEpo {
    server: TestServer,
    /// The ePO user.
    pub username: String,
    /// Its password.
    pub password: String,
}

fn ok(body: &str) -> Response {
    let out = format!("OK:\r\n{}\r\n", serde_json::Value::String(body.to_string()));
    Response::text(200, &out)
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        crate::rigs::base64(format!("{user}:{password}").as_bytes())
    )
}

impl FakeEpo {
    /// Starts the fake on a free loopback port. Its server certificate is issued by `ca`
    /// (so `ca` can verify it), and provisioned client certificates are signed by `ca`.
    /// `brokers` is the broker list it hands out.
    pub fn start(
        ca: Arc<TestCa>,
        username: &str,
        password: &str,
        brokers: Vec<BrokerEntry>,
    ) -> FakeEpo {
        let server_cert = ca.issue_server("localhost", &["localhost", "127.0.0.1"]);
        let expected = basic(username, password);
        let handler = move |req: &Request| -> Response {
            if req.header("authorization") != Some(expected.as_str()) {
                return Response::text(401, "Unauthorized");
            }
            if req.method != "GET" {
                return Response::text(405, "Method Not Allowed");
            }
            match req.path.as_str() {
                PROVISION_PATH => {
                    let Some(csr) = req.query_param("csrString") else {
                        return Response::text(200, "Error 1 :\r\nMissing csrString\r\n");
                    };
                    match ca.sign_csr(csr, 30) {
                        Ok(cert) => {
                            let lines: Vec<String> =
                                brokers.iter().map(BrokerEntry::config_line).collect();
                            ok(&format!(
                                "{},{},{}\n",
                                ca.cert_pem(),
                                cert,
                                lines.join("\n")
                            ))
                        }
                        Err(e) => Response::text(200, &format!("Error 1 :\r\n{e}\r\n")),
                    }
                }
                "/remote/DxlClientMgmt.createClientCaBundle" => ok(&ca.cert_pem()),
                "/remote/DxlClientMgmt.getBrokerList" => {
                    let list: Vec<_> = brokers
                        .iter()
                        .map(|b| json!({"guid": b.guid, "hostName": b.host, "ipAddress": b.ip, "port": b.port}))
                        .collect();
                    ok(&json!({"brokers": list, "certVersion": 0}).to_string())
                }
                _ => Response::text(404, "Not Found"),
            }
        };
        let server = TestServer::https(server_cert.identity(), handler).expect("start fake ePO");
        FakeEpo {
            server,
            username: username.to_string(),
            password: password.to_string(),
        }
    }

    /// The port (the connector's `dxl_port`).
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// `127.0.0.1` (the connector's `epo_host`).
    pub fn host(&self) -> String {
        "127.0.0.1".to_string()
    }

    /// The request log and fault injection.
    pub fn control(&self) -> ServerControl {
        self.server.control()
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header() {
        assert_eq!(basic("admin", "secret"), "Basic YWRtaW46c2VjcmV0");
        let r = ok("a,b");
        assert_eq!(r.status, 200);
    }
}
