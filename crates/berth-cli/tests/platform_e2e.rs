//! Platform stores on the real Docker engine (issue 14): `berth up` of a compose stack whose s3,
//! sqs and sns stores run in one `berth-local/localstack:4` container (moto's server standing in
//! for LocalStack) and whose mysql store runs on `berth-local/mariadb:10.11` (Debian's MariaDB),
//! and whose smtp store runs on `berth-local/mailpit:1` (aiosmtpd standing in for Mailpit), and
//! a job that waits for them healthy, then writes an object, reads it back, enqueues a message
//! and receives it, publishes to the topic and receives that on the subscribed queue, and logs
//! in to the mail server, sends a mail and reads it back through Mailpit's API, with nothing but
//! its wiring variables. Unique project name; everything it creates is removed.

mod common;

use berth_testkit::{local_image, require, DOCKER_COMPOSE, DOCKER_ENGINE};
use common::docker::Cleanup;
use common::Berth;

const SPEC: &str = r#"
name: NAME
services:
  probe:
    kind: job
    image: berth-local/localstack:4
    command: [/opt/moto/bin/python3, -c, "SCRIPT"]
    uses: [uploads, jobs, events, legacy-db, mail]
stores:
  uploads: { type: s3, image: "berth-local/localstack:4" }
  events: { type: sns, image: "berth-local/localstack:4", subscribers: [jobs] }
  jobs: { type: sqs, image: "berth-local/localstack:4" }
  legacy-db: { type: mysql, image: "berth-local/mariadb:10.11", database: legacy, publish: 0 }
  mail: { type: smtp, image: "berth-local/mailpit:1", publish: 0 }
environments:
  local: { platform: compose }
"#;

/// Only the wiring variables: endpoint, region, keys, bucket, queue URL, mail host and login.
const SCRIPT: &str = "import os, boto3; from botocore.config import Config; e = os.environ; \
s3 = boto3.client('s3', endpoint_url=e['UPLOADS_ENDPOINT'], region_name=e['UPLOADS_REGION'], \
aws_access_key_id=e['UPLOADS_ACCESS_KEY_ID'], aws_secret_access_key=e['UPLOADS_SECRET_ACCESS_KEY'], \
config=Config(s3={'addressing_style': 'path'})); \
s3.put_object(Bucket=e['UPLOADS_BUCKET'], Key='hello.txt', Body=b'platform-object'); \
assert s3.get_object(Bucket=e['UPLOADS_BUCKET'], Key='hello.txt')['Body'].read() == b'platform-object'; \
sqs = boto3.client('sqs', endpoint_url=e['JOBS_ENDPOINT'], region_name=e['JOBS_REGION'], \
aws_access_key_id=e['JOBS_ACCESS_KEY_ID'], aws_secret_access_key=e['JOBS_SECRET_ACCESS_KEY']); \
sqs.send_message(QueueUrl=e['JOBS_QUEUE_URL'], MessageBody='platform-message'); \
m = sqs.receive_message(QueueUrl=e['JOBS_QUEUE_URL'], WaitTimeSeconds=5)['Messages']; \
assert m[0]['Body'] == 'platform-message', m; \
sqs.delete_message(QueueUrl=e['JOBS_QUEUE_URL'], ReceiptHandle=m[0]['ReceiptHandle']); \
assert e['LEGACY_DB_URL'].startswith('mysql://app:'); \
assert 'RedrivePolicy' in sqs.get_queue_attributes(QueueUrl=e['JOBS_QUEUE_URL'], AttributeNames=['All'])['Attributes']; \
sqs.get_queue_attributes(QueueUrl=e['JOBS_DLQ_URL'], AttributeNames=['All']); \
sns = boto3.client('sns', endpoint_url=e['EVENTS_ENDPOINT'], region_name=e['EVENTS_REGION'], \
aws_access_key_id=e['EVENTS_ACCESS_KEY_ID'], aws_secret_access_key=e['EVENTS_SECRET_ACCESS_KEY']); \
sns.publish(TopicArn=e['EVENTS_TOPIC_ARN'], Message='note-created'); \
m = sqs.receive_message(QueueUrl=e['JOBS_QUEUE_URL'], WaitTimeSeconds=5)['Messages']; \
assert m[0]['Body'] == 'note-created', m; \
import smtplib, json, urllib.request; from email.message import EmailMessage; \
mail = EmailMessage(); mail['From'] = 'probe@example.com'; mail['To'] = 'ops@example.com'; \
mail['Subject'] = 'platform-mail'; mail.set_content('sent with the wiring alone'); \
smtp = smtplib.SMTP(e['MAIL_HOST'], int(e['MAIL_PORT']), timeout=10); \
smtp.login(e['MAIL_USER'], e['MAIL_PASSWORD']); smtp.send_message(mail); smtp.quit(); \
box = json.load(urllib.request.urlopen('http://' + e['MAIL_HOST'] + ':8025/api/v1/messages', timeout=10)); \
assert [x['Subject'] for x in box['messages']] == ['platform-mail'], box; \
assert box['messages'][0]['To'][0]['Address'] == 'ops@example.com', box; \
assert box['messages'][0]['Username'] == e['MAIL_USER'], box; \
print('platform-ok')";

#[test]
fn a_job_writes_an_object_and_round_trips_a_message_with_its_wiring_alone() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/localstack:4"),
        local_image("berth-local/mariadb:10.11"),
        local_image("berth-local/mailpit:1"),
    );
    let name = format!("bt-platform-{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("berth.yaml");
    let spec = SPEC.replace("NAME", &name).replace("SCRIPT", SCRIPT);
    std::fs::write(&file, spec).unwrap();

    let run = |args: &[&str]| Berth::new().file(&file).args(args).run();
    let up = run(&["up", "--timeout", "240"]);
    let logs = run(&["logs", "probe"]);
    assert_eq!(
        up.code, 0,
        "berth up failed:\n{}\n{}\nprobe logs:\n{}{}",
        up.stdout, up.stderr, logs.stdout, logs.stderr
    );
    assert!(
        logs.stdout.contains("platform-ok") || logs.stderr.contains("platform-ok"),
        "{}{}",
        logs.stdout,
        logs.stderr
    );
    let status = run(&["status", "--output", "json"]);
    assert!(status.stdout.contains("uploads"), "{}", status.stdout);
    // One LocalStack container serves the bucket, the topic and the queue.
    let ps = std::process::Command::new("docker")
        .args(["ps", "-q", "--filter"])
        .arg(format!("label=com.docker.compose.project={name}"))
        .args(["--filter", "ancestor=berth-local/localstack:4"])
        .output()
        .unwrap();
    let containers = String::from_utf8_lossy(&ps.stdout).lines().count();
    assert_eq!(containers, 1, "LocalStack containers: {containers}");
    // A served store's logs are its container's.
    let jobs = run(&["logs", "jobs"]);
    assert_eq!(jobs.code, 0, "{}{}", jobs.stdout, jobs.stderr);
    run(&["down", "--volumes"]).ok();
}
